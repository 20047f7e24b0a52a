"""Shared fixtures of the FFI test bench: the generated bindings on sys.path, test photos."""

import io
import os
import random
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "generated"))


def make_jpeg(seed: int, size=(640, 480)) -> bytes:
    """A JPEG whose content (and so its hash) depends on seed."""
    from PIL import Image

    rnd = random.Random(seed)
    img = Image.new("RGB", size)
    w, h = size
    px = img.load()
    colours = [tuple(rnd.randrange(256) for _ in range(3)) for _ in range(16)]
    for y in range(h):
        for x in range(w):
            c = colours[((x // 40) ^ (y // 30)) % 16]
            px[x, y] = (c[0] ^ (x & 0x1F), c[1], c[2] ^ (y & 0x1F))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()


@pytest.fixture
def data_dir(tmp_path):
    return str(tmp_path / "data")
