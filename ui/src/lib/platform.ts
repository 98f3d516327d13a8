/**
 * The desktop the window runs on, read from the webview's user agent (WebKitGTK on Linux,
 * WebView2 on Windows, WKWebView on macOS), for the one thing the stylesheet must know it
 * for: the font list (see `--font-ui` in `app.css`).
 */
export type Platform = 'linux' | 'windows' | 'macos' | 'other';

export function platformOf(userAgent: string): Platform {
  if (/Windows NT/.test(userAgent)) return 'windows';
  if (/Macintosh|Mac OS X/.test(userAgent)) return 'macos';
  if (/Linux|X11/.test(userAgent) && !/Android/.test(userAgent)) return 'linux';
  return 'other';
}

/** Marks `<html data-os="…">` before the first layout, so the platform's font list applies. */
export function markPlatform(root: HTMLElement, userAgent: string): void {
  root.dataset.os = platformOf(userAgent);
}
