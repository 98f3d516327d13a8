/**
 * Pictures from the agent's disk or clipboard on their way to the core: bytes to standard
 * base64 (chunked, so a 2 MiB screenshot never overflows the call stack), the same PNG/JPEG
 * and size rules the core applies, and local preview URLs that work where the browser has them.
 */
import type { PictureFile } from '../ipc/backend';

/** The largest picture the platform's upload takes (the core refuses bigger ones with `badImage`). */
export const MAX_PICTURE_BYTES = 2 * 1024 * 1024;
/** What the pickers offer. */
export const PICTURE_ACCEPT = 'image/png,image/jpeg';

/** Bytes per `String.fromCharCode` call: far below any engine's argument limit. */
const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let at = 0; at < bytes.length; at += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(at, at + CHUNK));
  }
  return btoa(binary);
}

/** Standard base64 to bytes; throws on text that is not base64. */
export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text.trim());
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The picture format by content, as the core sniffs it: PNG, JPEG or neither. */
export function sniffPicture(bytes: Uint8Array): 'png' | 'jpeg' | null {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= png.length && png.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

async function readBytes(file: Blob): Promise<Uint8Array> {
  if (typeof file.arrayBuffer === 'function') return new Uint8Array(await file.arrayBuffer());
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(file);
  });
}

/**
 * Reads `file` for IPC. A file over the size limit is refused here with the core's own
 * `badImage` error, so a 40 MB photo is never read and shipped across IPC only to be refused.
 */
export async function readPicture(file: File): Promise<PictureFile> {
  if (file.size > MAX_PICTURE_BYTES) {
    throw { code: 'badImage', message: `${file.name} is larger than 2 MiB` };
  }
  return { name: file.name || 'picture', dataBase64: bytesToBase64(await readBytes(file)) };
}

/** The picture files among `files` (clipboard and drops may carry other things). */
export function pictureFiles(files: FileList | readonly File[] | null | undefined): File[] {
  return [...(files ?? [])].filter((file) => file.type.startsWith('image/'));
}

/** A local preview URL for `file`, or null where the environment has none (tests, old webviews). */
export function previewUrl(file: Blob): string | null {
  return typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : null;
}

export function revokePreview(url: string | null | undefined): void {
  if (url && typeof URL.revokeObjectURL === 'function') URL.revokeObjectURL(url);
}
