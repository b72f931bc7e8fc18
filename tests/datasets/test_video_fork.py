"""Video decoding in forked DataLoader workers after the parent has decoded (as training and `analyze` do).

PyAV's ``frame.to_ndarray(format="rgb24")`` keeps one swscale context per thread; its slice threads do not survive
``fork()``, so a worker forked after the parent converted a frame used to wait forever (CI hung twice on it, in the
streaming-dataset tests). Each of our three readers now converts with a context of its own (`rgb_converter`).
"""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path

    import cv2
    import numpy as np
    import torch

    from soccermaster_hf.analysis.source import FrameSource
    from soccermaster_hf.datasets.video import encode_images, read_frames
    from soccermaster_hf.processing.video_processing_soccermaster import read_video_frames

    root = Path(sys.argv[1])
    images = []
    for index in range(24):
        image = np.full((180, 320, 3), 10 * index, np.uint8)
        cv2.putText(image, str(index), (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 5)
        images.append(root / f"{index:02d}.png")
        cv2.imwrite(str(images[-1]), image)
    video = encode_images(images, root / "clip.mp4", fps=25)
    source = FrameSource.open(video)


    def read(reader, start):
        if reader == 0:
            return read_frames(video, list(range(start, start + 4)))
        if reader == 1:
            return list(read_video_frames(video, [start, start + 2]))
        return [frame for _, frame in source.frames(start, start + 3)]


    expected = {(reader, start): read(reader, start) for reader in range(3) for start in range(0, 20, 4)}

    class Reads(torch.utils.data.Dataset):
        def __len__(self):
            return 60

        def __getitem__(self, item):
            reader, start = item % 3, (item // 3) % 5 * 4
            return reader, start, read(reader, start)

    for epoch in range(4):
        loader = torch.utils.data.DataLoader(Reads(), batch_size=None, num_workers=2, timeout=60,
                                             collate_fn=lambda item: item)
        for reader, start, frames in loader:
            assert all(np.array_equal(a, b) for a, b in zip(frames, expected[reader, start], strict=True))
    print("decoded", 4 * 60, "windows in forked workers")
""")


def test_forked_workers_decode_after_the_parent_did(tmp_path):
    """Before the fix this hung on the first or second epoch (a worker waits in ``avpriv_slicethread_execute``)."""
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "decoded 240 windows in forked workers" in result.stdout
