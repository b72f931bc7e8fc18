"""Small shared utilities (library-only, never shipped as Hub remote code)."""
