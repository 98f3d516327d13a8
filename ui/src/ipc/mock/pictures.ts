/**
 * The core's picture rules for the mock: which stores can upload (businessId 16 only, \[INF\]),
 * which files pass (PNG or JPEG by content, at most 2 MiB) and what blocking needs
 * (1 to 9 evidence pictures, a description for "other").
 */
import { base64ToBytes, MAX_PICTURE_BYTES, sniffPicture } from '../../lib/pictures';
import type { BlockRequest, IpcError, PictureFile } from '../backend';

/** The platform's image upload exists for businessId 16 only. */
export const canUpload = (businessId: number | undefined): boolean => businessId === 16;

export const MAX_EVIDENCE = 9;

/** The picture's `data:` URL (what the mock "uploads" to), or the refusal the core would send. */
export function checkPicture(file: PictureFile): { url: string } | IpcError {
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(file.dataBase64);
  } catch {
    return { code: 'invalid', message: `${file.name} is not valid base64` };
  }
  if (bytes.length === 0 || bytes.length > MAX_PICTURE_BYTES) {
    return { code: 'badImage', message: `${file.name} is empty or larger than 2 MiB` };
  }
  const format = sniffPicture(bytes);
  if (format === null) return { code: 'badImage', message: `${file.name} is not PNG or JPEG` };
  return { url: `data:image/${format};base64,${file.dataBase64.trim()}` };
}

/** Why `request` would be refused before anything is uploaded, or null when it is fine. */
export function checkBlockRequest(request: BlockRequest): IpcError | null {
  if (request.reason === 'other' && (request.description ?? '').trim() === '') {
    return { code: 'invalid', message: 'a reason "other" needs a description' };
  }
  if (request.evidence.length < 1 || request.evidence.length > MAX_EVIDENCE) {
    return { code: 'invalid', message: `blocking needs 1 to ${MAX_EVIDENCE} evidence pictures, got ${request.evidence.length}` };
  }
  for (const file of request.evidence) {
    const checked = checkPicture(file);
    if ('code' in checked) return checked;
  }
  return null;
}
