"""Host stand-in for MicroPython's neopixel module."""


class NeoPixel:
    def __init__(self, pin, n, bpp=3):
        self.pin = pin
        self.n = n
        self.pixels = [(0, 0, 0)] * n
        self.writes = 0

    def __setitem__(self, i, v):
        self.pixels[i] = v

    def __getitem__(self, i):
        return self.pixels[i]

    def __len__(self):
        return self.n

    def fill(self, v):
        self.pixels = [v] * self.n

    def write(self):
        self.writes += 1
