/** Scene tags (9003 complaint, 3002 food quality, …) as short labels and chat banners. */
import { t } from '../../i18n/locale.svelte';

type SceneTag = 9003 | 3002 | 3001 | 9001 | 2203;
const KNOWN: readonly number[] = [9003, 3002, 3001, 9001, 2203];
/** Known tags are worded by our catalogue; others show the platform's own name. */
export const isKnownScene = (tag: number): tag is SceneTag => KNOWN.includes(tag);

/** Short tag for the inbox row: our own wording for known tags, the platform's name otherwise. */
export function sceneLabel(tag: number, platformName: string | null): string {
  if (isKnownScene(tag)) return t(`scene.${tag}`);
  return platformName ?? String(tag);
}

/** The sentence of the banner above the chat. */
export function sceneBanner(tag: number, platformName: string | null): string {
  if (isKnownScene(tag)) return t(`sceneBanner.${tag}`);
  return t('sceneBanner.other', { name: platformName ?? String(tag) });
}
