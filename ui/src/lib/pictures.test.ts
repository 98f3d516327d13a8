import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, MAX_PICTURE_BYTES, readPicture, sniffPicture } from './pictures';

describe('pictures', () => {
  it('encodes a full 2 MiB picture to standard base64 without overflowing the stack', () => {
    const bytes = new Uint8Array(MAX_PICTURE_BYTES);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
    const text = bytesToBase64(bytes);
    expect(text).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(text.length).toBe(Math.ceil(bytes.length / 3) * 4);
    const back = base64ToBytes(text);
    // A byte loop: a deep `toEqual` over 2 million elements takes seconds.
    expect(back.length).toBe(bytes.length);
    expect(back.findIndex((b, i) => b !== bytes[i])).toBe(-1);
  });

  it('matches the platform alphabet on known values', () => {
    expect(bytesToBase64(new TextEncoder().encode('imdesk'))).toBe('aW1kZXNr');
    expect(bytesToBase64(new Uint8Array([0xfb, 0xff]))).toBe('+/8=');
    expect(bytesToBase64(new Uint8Array())).toBe('');
  });

  it('tells PNG and JPEG from anything else by content', () => {
    expect(sniffPicture(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('png');
    expect(sniffPicture(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffPicture(new TextEncoder().encode('GIF89a'))).toBeNull();
    expect(sniffPicture(new Uint8Array([0x89, 0x50]))).toBeNull();
  });

  it('reads a file for IPC and refuses one over 2 MiB with badImage before reading it', async () => {
    const file = new File([new Uint8Array([1, 2, 3])], 'a.jpg', { type: 'image/jpeg' });
    await expect(readPicture(file)).resolves.toEqual({ name: 'a.jpg', dataBase64: 'AQID' });
    const big = new File([new Uint8Array(MAX_PICTURE_BYTES + 1)], 'big.png');
    await expect(readPicture(big)).rejects.toMatchObject({ code: 'badImage' });
  });
});
