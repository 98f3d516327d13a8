#!/usr/bin/env python3
"""Generates imdesk's two alert sounds (src-tauri/sounds/*.wav) from code, so they are ours.

normal: a soft two-note chime for a new customer message.
urgent: three sharp, higher beeps for a complaint or an overdue reply, distinct even at low volume.
"""
import math
import struct
import wave
from pathlib import Path

RATE = 22050
OUT = Path(__file__).resolve().parent.parent / "src-tauri" / "sounds"


def tone(freq, ms, volume=0.5, attack=0.01, harmonics=(1.0, 0.3)):
    n = int(RATE * ms / 1000)
    out = []
    for i in range(n):
        t = i / RATE
        env = min(1.0, t / attack) * math.exp(-4.0 * i / n)
        s = sum(a * math.sin(2 * math.pi * freq * (k + 1) * t) for k, a in enumerate(harmonics))
        out.append(volume * env * s / sum(harmonics))
    return out


def silence(ms):
    return [0.0] * int(RATE * ms / 1000)


def write(name, samples):
    OUT.mkdir(parents=True, exist_ok=True)
    with wave.open(str(OUT / name), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(max(-1, min(1, s)) * 32000)) for s in samples))


write("normal.wav", tone(880, 180) + tone(1318.5, 320))
write("urgent.wav", (tone(1568, 110, 0.7, harmonics=(1.0, 0.5, 0.25)) + silence(60)) * 3)
