"""SoccerSynth league styles: the look a league's clips share.

A real league differs from another in ways a detector notices: the grass (natural with a mowing pattern, or
artificial turf), the clubs' kits, how high and how far from the pitch the main camera stands and how far it zooms,
the broadcast's resolution and bit rate, the light (sun and stand shadows, floodlights), the stands. The ``default``
style draws each clip's look at random from broad ranges (SoccerSynth before league styles, byte for byte, but for
the third goalkeeper kit: black like the referee's until 2026-12-08, which Law 4 forbids, now sky blue); every
other style fixes or narrows these choices, so all its clips look like one league and unlike the others.

Use one with ``soccermaster synth --league NAME`` (``--league list`` prints them), ``SynthConfig(league=NAME)``, or a
JSON file of :class:`LeagueStyle` fields (``--league my_league.json``; unknown or ill-typed fields are refused).

The built-in new-league styles use kit colours outside the default palette and camera installations outside the
WorldCup-2014 ranges on purpose: they are what the default checkpoint never saw (``examples/finetune_lora.py`` measures
how much worse it is there, and what a LoRA adapter recovers).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

Colour = tuple[int, int, int]  # BGR, as OpenCV draws
Kit = tuple[Colour, Colour]  # shirt, shorts
Range = tuple[float, float]

MOWING_PATTERNS = ("stripes", "checker", "diagonal", "none")

DEFAULT_KITS: tuple[Kit, ...] = (
    ((40, 40, 200), (240, 240, 240)),    # red / white
    ((220, 220, 220), (30, 30, 30)),     # white / black
    ((200, 90, 20), (240, 240, 240)),    # blue / white
    ((30, 200, 240), (40, 40, 40)),      # yellow / black
    ((40, 140, 40), (230, 230, 230)),    # green / white
    ((120, 40, 120), (200, 200, 200)),   # purple / grey
    ((20, 110, 230), (30, 30, 30)),      # orange / black
    ((90, 40, 10), (90, 40, 10)),        # navy / navy
)
# green, magenta, sky blue; the third was black on black, the referee's kit, until 2026-12-08 (Law 4 forbids it: see
# `_law4_problems`); a clip whose keeper wore it could not tell him from the referee
DEFAULT_GOALKEEPER_KITS: tuple[Kit, ...] = (((30, 230, 130), (30, 30, 30)), ((200, 60, 220), (30, 30, 30)),
                                            ((230, 180, 80), (30, 30, 30)))
DEFAULT_REFEREE_KIT: Kit = ((20, 20, 20), (20, 20, 20))
# the smallest summed BGR difference a style may leave between two shirts that Law 4 requires to differ (the two
# teams', a team's and a goalkeeper's, either and the referee's)
MIN_SHIRT_DIFFERENCE = 60

# fitted to the 186 real WorldCup-2014 cameras of PnLCalib (see camera_path's docstring)
WC14_CAMERA = {"x": (-5.0, 5.0), "y": (60.0, 92.0), "height": (10.0, 25.0), "hfov_degrees": (16.0, 34.0),
               "roll_std_degrees": 0.25, "pan_limit_degrees": 40.0}


@dataclass(frozen=True)
class LeagueStyle:
    """What the clips of one league share. Ranges are ``(low, high)``, drawn once per clip (uniform)."""

    name: str
    description: str = ""
    # ground
    grass_bgr: tuple[Range, Range, Range] = ((35.0, 55.0), (110.0, 140.0), (40.0, 60.0))
    mowing: str = "stripes"  # stripes (across the length) | checker | diagonal | none (artificial turf)
    mowing_bands: int = 20  # bands along the pitch length
    stripe_delta: Range = (10.0, 22.0)  # brightness difference of alternate bands
    grass_grain: float = 3.0  # standard deviation of the per-pixel grass texture
    line_colour: Colour = (235, 240, 238)
    shadow: float = 0.0  # > 0: a stand's shadow darkens the far part of the pitch by this fraction
    shadow_edge_y: Range = (-20.0, 0.0)  # where the shadow's edge crosses the half-way line (pitch y, metres)
    # surroundings
    stands_tone: Range = (40.0, 90.0)
    stands_spread: float = 25.0
    board_palette: tuple[Colour, ...] = ()  # empty: random colours
    # clubs
    kits: tuple[Kit, ...] = DEFAULT_KITS
    goalkeeper_kits: tuple[Kit, ...] = DEFAULT_GOALKEEPER_KITS
    referee_kit: Kit = DEFAULT_REFEREE_KIT
    # the main camera's installation (keys of WC14_CAMERA)
    camera: dict = field(default_factory=lambda: dict(WC14_CAMERA))
    # image
    render_scale: float = 1.0  # < 1: a lower-resolution feed, upscaled to the frame size by the broadcaster
    jpeg_quality: tuple[int, int] = (75, 93)
    gain: Range = (0.85, 1.15)
    colour_gain_bgr: tuple[float, float, float] = (1.0, 1.0, 1.0)  # white balance / light colour
    gamma: float = 1.0  # > 1 darkens mid-tones (night), < 1 lifts them
    vignette: float = 0.0  # corner darkening (0 none, 0.4 strong)
    noise_sigma: Range = (1.0, 4.0)
    optics_blur: float = 0.0  # Gaussian sigma (px) of soft optics
    score_bug: bool = False  # the broadcaster's score and clock box in the top-left corner
    randomise: bool = False  # every clip draws its own style from broad ranges (domain randomisation; see below)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError(f"league style {self.name!r}: " + "; ".join(problems))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> LeagueStyle:
        if not isinstance(data, dict):
            raise ValueError(f"a league style is a JSON object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown league style field(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        if "name" not in data:
            raise ValueError("a league style needs a 'name'")
        base = dataclasses.asdict(LEAGUES["default"])
        base.update(data)
        try:
            values = {key: _freeze(value) for key, value in base.items()}
            values["camera"] = ({**WC14_CAMERA, **{k: _freeze(v) for k, v in base["camera"].items()}}
                                if isinstance(base["camera"], dict) else None)
            if values["camera"] is None:
                raise ValueError("'camera' must be an object")
            return cls(**values)
        except (TypeError, ValueError) as error:
            raise ValueError(str(error)) from None

    @classmethod
    def from_json(cls, path: str | Path) -> LeagueStyle:
        try:  # ValueError: also a number of more than 4,300 digits
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ValueError(f"{path}: cannot read the league style ({error})") from None
        except RecursionError:
            raise ValueError(f"{path}: cannot read the league style (JSON nested too deeply)") from None
        try:
            return cls.from_dict(data)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
        except RecursionError:  # a field nested hundreds of levels deep
            raise ValueError(f"{path}: a field is nested too deeply to be a league style value") from None


def _freeze(value):
    """JSON lists to the tuples the dataclass holds (nested)."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _range_problem(name: str, value, low: float, high: float) -> str | None:
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_number(v) for v in value)):
        return f"{name} must be [low, high] numbers, got {value!r}"
    if not (low <= value[0] <= value[1] <= high):
        return f"{name} must satisfy {low:g} <= low <= high <= {high:g}, got {list(value)}"
    return None


def _colour_problem(name: str, value) -> str | None:
    if not (isinstance(value, (tuple, list)) and len(value) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)):
        return f"{name} must be three integers 0-255 (BGR), got {value!r}"
    return None


def _kits_problem(name: str, kits, minimum: int) -> str | None:
    if not isinstance(kits, (tuple, list)) or len(kits) < minimum:
        return f"{name} must list at least {minimum} kits, got {kits!r}"
    for kit in kits:
        problem = _kit_problem(name, kit)
        if problem:
            return problem
    return None


def _kit_problem(name: str, kit) -> str | None:
    if not isinstance(kit, (tuple, list)) or len(kit) != 2:
        return f"{name}: a kit is [shirt BGR, shorts BGR], got {kit!r}"
    return _colour_problem(name, kit[0]) or _colour_problem(name, kit[1])


def _shirt_difference(a: Colour, b: Colour) -> int:
    return sum(abs(int(x) - int(y)) for x, y in zip(a, b))


def _law4_problems(style: LeagueStyle) -> list[str]:
    """Law 4 of the Laws of the Game: the two teams wear colours that distinguish them from each other and from the
    match officials, and each goalkeeper wears colours that distinguish him from the other players and the officials.
    A style that breaks it draws clips in which nothing tells two roles or teams apart (a keeper dressed like the
    referee was called a referee in every frame)."""
    def close(a: Colour, b: Colour) -> bool:
        return _shirt_difference(a, b) < MIN_SHIRT_DIFFERENCE

    rule = f"(summed BGR difference under {MIN_SHIRT_DIFFERENCE}; Law 4: teams, goalkeepers and officials " \
           "must be distinguishable)"
    referee = style.referee_kit[0]
    problems = [f"{name}: a shirt {list(kit[0])} is too close to the referee's {list(referee)} {rule}"
                for name in ("kits", "goalkeeper_kits") for kit in getattr(style, name) if close(kit[0], referee)]
    shirts = [kit[0] for kit in style.kits]
    problems += [f"kits: the shirts {list(a)} and {list(b)} are too close {rule}"
                 for i, a in enumerate(shirts) for b in shirts[i + 1:] if close(a, b)]
    problems += [f"goalkeeper_kits: a shirt {list(kit[0])} is too close to the team shirt {list(shirt)} {rule}"
                 for kit in style.goalkeeper_kits for shirt in shirts if close(kit[0], shirt)]
    return list(dict.fromkeys(problems))  # one line per offending shirt


def _problems(style: LeagueStyle) -> list[str]:
    problems = []
    if not isinstance(style.name, str) or not style.name.strip():
        problems.append("name must be a non-empty string")
    if not isinstance(style.description, str):
        problems.append("description must be a string")
    if not (isinstance(style.grass_bgr, (tuple, list)) and len(style.grass_bgr) == 3):
        problems.append(f"grass_bgr must be three [low, high] ranges, got {style.grass_bgr!r}")
    else:
        problems += [p for p in (_range_problem(f"grass_bgr[{i}]", r, 0, 255) for i, r in enumerate(style.grass_bgr))
                     if p]
    if style.mowing not in MOWING_PATTERNS:
        problems.append(f"mowing must be one of {', '.join(MOWING_PATTERNS)}, got {style.mowing!r}")
    if not (isinstance(style.mowing_bands, int) and not isinstance(style.mowing_bands, bool)
            and 2 <= style.mowing_bands <= 60):
        problems.append(f"mowing_bands must be an integer 2-60, got {style.mowing_bands!r}")
    kit_checks = [
        _kits_problem("kits", style.kits, 2),
        _kits_problem("goalkeeper_kits", style.goalkeeper_kits, 2),
        _kit_problem("referee_kit", style.referee_kit),
    ]
    checks = [
        _range_problem("stripe_delta", style.stripe_delta, 0, 80),
        _range_problem("shadow_edge_y", style.shadow_edge_y, -34, 34),
        _range_problem("stands_tone", style.stands_tone, 0, 255),
        _range_problem("gain", style.gain, 0.1, 3.0),
        _range_problem("noise_sigma", style.noise_sigma, 0, 30),
        _colour_problem("line_colour", style.line_colour),
        *kit_checks,
    ]
    problems += [p for p in checks if p]
    if not any(kit_checks):
        problems += _law4_problems(style)
    for name, value, low, high in (("grass_grain", style.grass_grain, 0, 30), ("shadow", style.shadow, 0, 0.9),
                                   ("stands_spread", style.stands_spread, 0, 80),
                                   ("render_scale", style.render_scale, 0.2, 1.0), ("gamma", style.gamma, 0.3, 3.0),
                                   ("vignette", style.vignette, 0, 0.9), ("optics_blur", style.optics_blur, 0, 10)):
        if not _is_number(value) or not (low <= value <= high):
            problems.append(f"{name} must be a number in [{low:g}, {high:g}], got {value!r}")
    quality = style.jpeg_quality
    if not (isinstance(quality, (tuple, list)) and len(quality) == 2
            and all(isinstance(q, int) and not isinstance(q, bool) for q in quality) and 5 <= quality[0] <= quality[1] <= 100):
        problems.append(f"jpeg_quality must be [low, high] integers with 5 <= low <= high <= 100, got {quality!r}")
    gains = style.colour_gain_bgr
    if not (isinstance(gains, (tuple, list)) and len(gains) == 3 and all(_is_number(g) and 0.3 <= g <= 2.0 for g in gains)):
        problems.append(f"colour_gain_bgr must be three numbers in [0.3, 2], got {gains!r}")
    for name in ("score_bug", "randomise"):
        if not isinstance(getattr(style, name), bool):
            problems.append(f"{name} must be true or false, got {getattr(style, name)!r}")
    if not isinstance(style.board_palette, (tuple, list)):
        problems.append(f"board_palette must be a list of BGR colours, got {style.board_palette!r}")
    else:
        problems += [p for p in (_colour_problem("board_palette", c) for c in style.board_palette) if p]
    problems += _camera_problems(style.camera)
    return problems


def _camera_problems(camera) -> list[str]:
    if not isinstance(camera, dict):
        return [f"camera must be an object with {', '.join(WC14_CAMERA)}, got {camera!r}"]
    unknown = sorted(set(camera) - set(WC14_CAMERA))
    if unknown:
        return [f"unknown camera field(s): {', '.join(unknown)} (known: {', '.join(WC14_CAMERA)})"]
    missing = sorted(set(WC14_CAMERA) - set(camera))
    if missing:
        return [f"camera misses {', '.join(missing)}"]
    checks = [_range_problem("camera.x", camera["x"], -60, 60), _range_problem("camera.y", camera["y"], 36, 200),
              _range_problem("camera.height", camera["height"], 2, 80),
              _range_problem("camera.hfov_degrees", camera["hfov_degrees"], 5, 90)]
    problems = [p for p in checks if p]
    for key, high in (("roll_std_degrees", 5.0), ("pan_limit_degrees", 80.0)):
        if not _is_number(camera[key]) or not (0 <= camera[key] <= high):
            problems.append(f"camera.{key} must be a number in [0, {high:g}], got {camera[key]!r}")
    if not problems and camera["hfov_degrees"][1] - camera["hfov_degrees"][0] < 4:
        problems.append(f"camera.hfov_degrees must span at least 4 degrees, got {list(camera['hfov_degrees'])}")
    return problems


LEAGUES: dict[str, LeagueStyle] = {style.name: style for style in (
    LeagueStyle("default", "SoccerSynth's broad per-clip randomisation (the default checkpoint's training data)."),
    LeagueStyle(
        "nordic-turf",
        "A northern league on artificial turf: uniform bright turf without mowing bands, low and close camera "
        "platforms with wide lenses, a 480p stream upscaled and heavily compressed, cold daylight, light empty stands, "
        "kits in colours the default palette lacks.",
        grass_bgr=((55.0, 65.0), (150.0, 165.0), (70.0, 85.0)), mowing="none", stripe_delta=(0.0, 0.0),
        grass_grain=1.5, line_colour=(250, 250, 250), stands_tone=(150.0, 190.0), stands_spread=18.0,
        board_palette=((200, 80, 0), (255, 255, 255), (0, 0, 180)),
        kits=(((230, 200, 80), (255, 255, 255)),   # sky blue / white
              ((60, 20, 110), (255, 255, 255)),    # maroon / white
              ((70, 70, 70), (255, 255, 255)),     # charcoal / white
              ((180, 105, 255), (40, 40, 40)),     # pink / black
              ((50, 230, 170), (60, 60, 60))),     # lime / grey
        goalkeeper_kits=(((0, 140, 255), (0, 0, 0)), ((128, 128, 128), (0, 0, 0))),
        referee_kit=((0, 215, 255), (20, 20, 20)),
        camera={"x": (-8.0, 8.0), "y": (42.0, 55.0), "height": (6.0, 10.0), "hfov_degrees": (34.0, 48.0),
                "roll_std_degrees": 0.6, "pan_limit_degrees": 55.0},
        render_scale=0.45, jpeg_quality=(30, 45), gain=(1.0, 1.1), colour_gain_bgr=(1.12, 1.0, 0.88),
        noise_sigma=(2.0, 4.0), optics_blur=0.6),
    LeagueStyle(
        "floodlit-night",
        "Evening matches under floodlights: dark chequered grass, black stands, warm sodium light with a strong "
        "vignette, 720p compression.",
        grass_bgr=((25.0, 35.0), (80.0, 95.0), (30.0, 40.0)), mowing="checker", mowing_bands=12,
        stripe_delta=(8.0, 12.0), stands_tone=(8.0, 25.0), stands_spread=12.0,
        kits=(((255, 255, 255), (255, 255, 255)), ((0, 0, 140), (0, 0, 0)), ((255, 160, 60), (255, 255, 255)),
              ((0, 200, 200), (0, 0, 128))),
        render_scale=0.75, jpeg_quality=(50, 70), gain=(0.8, 0.9), colour_gain_bgr=(0.8, 1.0, 1.18), gamma=1.15,
        vignette=0.35, noise_sigma=(3.0, 6.0)),
    LeagueStyle(
        "summer-sun",
        "Afternoon sun in a dry summer: yellowish grass with diagonal mowing, a hard stand shadow across the far side, "
        "a high gantry with long lenses, warm light.",
        grass_bgr=((45.0, 60.0), (135.0, 155.0), (110.0, 130.0)), mowing="diagonal", mowing_bands=14,
        stripe_delta=(14.0, 24.0), shadow=0.5, shadow_edge_y=(-25.0, 5.0), stands_tone=(90.0, 130.0),
        camera={**WC14_CAMERA, "height": (22.0, 32.0), "y": (70.0, 100.0), "hfov_degrees": (12.0, 22.0)},
        gain=(1.05, 1.2), colour_gain_bgr=(0.88, 1.0, 1.1), gamma=0.9),
    LeagueStyle(
        "randomised",
        "Domain randomisation: every clip draws its own grass, mowing, shadow, stands, boards, kits, camera "
        "installation, stream quality, light and score overlay from ranges spanning the other leagues and beyond.",
        randomise=True),
)}


def _kit_colour(rng) -> Colour:
    return tuple(int(c) for c in rng.integers(0, 256, 3))


def _distinct_kits(rng, count: int, avoid: tuple[Kit, ...] = ()) -> tuple[Kit, ...]:
    """`count` kits whose shirts differ clearly (so that two teams never look alike), none of them (nearly) the shirt
    of a kit in `avoid` (Law 4: a keeper is not dressed like a team; a draw that complies is kept, so only the clips
    whose keepers clashed draw another look than before this rule)."""
    kits: list[Kit] = []
    while len(kits) < count:
        shirt = _kit_colour(rng)
        if all(_shirt_difference(shirt, other[0]) > 150 for other in kits) and all(
                _shirt_difference(shirt, other[0]) >= MIN_SHIRT_DIFFERENCE for other in avoid):
            kits.append((shirt, _kit_colour(rng)))
    return tuple(kits)


def _referee_kit(rng, avoid: tuple[Kit, ...]) -> Kit:
    """A referee's kit whose shirt is not (nearly) that of a kit in `avoid` (Law 4). The first draw is kept when it
    complies, so a clip whose colours already complied draws the same look as before this rule."""
    while True:
        shirt = _kit_colour(rng)
        if all(_shirt_difference(shirt, other[0]) >= MIN_SHIRT_DIFFERENCE for other in avoid):
            return (shirt, (20, 20, 20))


def randomised_style(rng) -> LeagueStyle:
    """One clip's look under domain randomisation (the ``randomised`` league): drawn from ranges that cover the built-in
    leagues (turf to dry grass, night to sun, low close platforms to high gantries, 40 % to full resolution)."""
    green = rng.uniform(70, 170)
    grass = ((green * rng.uniform(0.25, 0.5),) * 2, (green,) * 2, (green * rng.uniform(0.3, 0.9),) * 2)
    height = rng.uniform(6.0, 30.0)
    back = rng.uniform(max(40.0, 2.2 * height + 25.0), max(45.0, 3.2 * height + 45.0))
    narrow = rng.uniform(10.0, 34.0)
    wide = min(narrow + rng.uniform(6.0, 16.0), 55.0)
    quality = int(rng.integers(30, 94))
    scale = float(rng.choice([1.0, 1.0, rng.uniform(0.4, 1.0)]))
    # drawn in argument order (the kits between the boards and the camera), as before the Law 4 rule
    return LeagueStyle(
        "randomised", LEAGUES["randomised"].description,
        grass_bgr=grass, mowing=str(rng.choice(MOWING_PATTERNS)), mowing_bands=int(rng.integers(8, 28)),
        stripe_delta=(float(rng.uniform(0, 24)),) * 2, grass_grain=float(rng.uniform(1.0, 4.0)),
        shadow=float(rng.uniform(0.3, 0.6)) if rng.random() < 0.3 else 0.0,
        stands_tone=(float(rng.uniform(8, 190)),) * 2, stands_spread=float(rng.uniform(10, 35)),
        board_palette=tuple(_kit_colour(rng) for _ in range(int(rng.integers(2, 6)))),
        kits=(kits := _distinct_kits(rng, 2)), goalkeeper_kits=(keepers := _distinct_kits(rng, 2, avoid=kits)),
        referee_kit=_referee_kit(rng, (*kits, *keepers)),
        camera={"x": (-8.0, 8.0), "y": (back - 3.0, back + 3.0), "height": (height - 1.0, height + 1.0),
                "hfov_degrees": (narrow, wide), "roll_std_degrees": 0.4, "pan_limit_degrees": 50.0},
        render_scale=scale, jpeg_quality=(quality, min(100, quality + 8)),
        gain=(float(rng.uniform(0.75, 1.0)), float(rng.uniform(1.0, 1.2))),
        colour_gain_bgr=tuple(float(g) for g in rng.uniform(0.85, 1.15, 3)), gamma=float(rng.uniform(0.85, 1.2)),
        vignette=float(rng.uniform(0.0, 0.4)), noise_sigma=(1.0, float(rng.uniform(1.0, 6.0))),
        optics_blur=float(rng.uniform(0.0, 1.0)), score_bug=bool(rng.random() < 0.6))


def get_league(name_or_path: str | Path) -> LeagueStyle:
    """A built-in style by name, or a style from a JSON file of :class:`LeagueStyle` fields."""
    text = str(name_or_path)
    if text in LEAGUES:
        return LEAGUES[text]
    if text.endswith(".json"):
        path = Path(text)
        if not path.is_file():
            raise ValueError(f"{text}: no such league style file")
        return LeagueStyle.from_json(path)
    raise ValueError(f"unknown league {text!r}: choose one of {', '.join(LEAGUES)} or give a .json style file")


__all__ = ["DEFAULT_KITS", "LEAGUES", "LeagueStyle", "MOWING_PATTERNS", "WC14_CAMERA", "get_league", "randomised_style"]
