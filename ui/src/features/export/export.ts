/** Checks of the export forms, made before anything is asked of the core (which checks again). */
/** Why an export form cannot be sent (catalogue keys without parameters). */
export type ExportProblem = 'export.fromMissing' | 'export.toMissing' | 'export.reversed' | 'export.dayMissing';

/** A local day `YYYY-MM-DD` of a UTC ms instant, for the forms' defaults. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Why a range cannot be exported, or `null` when it can. */
export function rangeProblem(from: string, to: string): ExportProblem | null {
  if (from.trim() === '') return 'export.fromMissing';
  if (to.trim() === '') return 'export.toMissing';
  // `YYYY-MM-DD` strings order like the days they name.
  if (from > to) return 'export.reversed';
  return null;
}
