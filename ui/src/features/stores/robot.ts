/** What keeps a robot edit from being saved, checked as the supervisor types (the core checks again). */
import type { RobotScene } from '../../ipc/backend';

export type RobotProblem = { scene: number; name: string; kind: 'tooLong' | 'empty'; count: number };

/** Editable texts that are empty or longer than `maxChars` characters (code points, as the core counts). */
export function robotProblems(scenes: readonly RobotScene[], maxChars: number): RobotProblem[] {
  const out: RobotProblem[] = [];
  for (const s of scenes) {
    if (!s.textEditable) continue;
    const count = [...s.text].length;
    if (s.text.trim() === '') out.push({ scene: s.scene, name: s.name, kind: 'empty', count });
    else if (count > maxChars) out.push({ scene: s.scene, name: s.name, kind: 'tooLong', count });
  }
  return out;
}
