/**
 * The mock platform's store settings: each store's IM switch and auto-reply robot, with the
 * core's rules (only scene 18's text is writable, at most `ROBOT_MAX_CHARS` characters; an edit
 * no store could take is refused whole; a store whose token fails reports its own failure).
 */
import type { RobotEdit, RobotSaveResult, RobotScene, RobotSettings, StoreIm } from '../backend';
import type { IpcError } from '../generated/IpcError';
import type { MockStore } from './brand';

export const ROBOT_MAX_CHARS = 100;

const SCENES: [number, string, string][] = [
  [1, '售后问题', '亲，非常抱歉给您带来不好的体验，请描述问题，我们马上为您处理'],
  [7, '商家繁忙', '亲，现在订单较多，请稍等片刻'],
  [9, '顾客催单', '亲，已经在加急制作了，请耐心等待'],
  [13, '申请退款', '亲，退款申请已收到，我们会尽快处理'],
  [18, '邀请评价', '亲，吃得满意的话给个好评吧'],
  [19, '营业时间', '本店营业时间 10:00-22:00'],
];

type StoreState = { open: boolean; checkedAt: number; robot: RobotScene[] };

export class MockStoreAdmin {
  private readonly state = new Map<string, StoreState>();
  /** Stores whose token the mock platform refuses (as an expired one). */
  readonly failing = new Set<string>();

  constructor(
    private readonly stores: MockStore[],
    private readonly clock: () => number,
  ) {}

  private of(store: string): StoreState | IpcError {
    const known = this.stores.find((s) => s.epoiId === store);
    if (!known) return { code: 'notFound', message: `store ${store} not found` };
    let state = this.state.get(store);
    if (!state) {
      state = {
        open: true,
        checkedAt: this.clock(),
        robot: SCENES.map(([scene, name, text], i) => ({ scene, name, text, on: i % 3 !== 2, textEditable: scene === 18 })),
      };
      this.state.set(store, state);
    }
    return state;
  }

  private refused(store: string): IpcError | null {
    const name = this.stores.find((s) => s.epoiId === store)?.name ?? store;
    return this.failing.has(store) ? { code: 'auth', message: `store ${name} (${store}): platform error OP_AUTH_TOKEN_EXPIRED` } : null;
  }

  /** The switch the rail shows. */
  imOpen(store: string): boolean | null {
    const state = this.state.get(store);
    return state ? state.open : true;
  }

  storeIm(store: string): StoreIm | IpcError {
    const state = this.of(store);
    if ('code' in state) return state;
    const name = this.stores.find((s) => s.epoiId === store)?.name ?? store;
    return { epoiId: store, name, open: state.open, checkedAt: state.checkedAt, error: this.refused(store) };
  }

  setStoreIm(store: string, open: boolean): StoreIm | IpcError {
    const state = this.of(store);
    if ('code' in state) return state;
    const refused = this.refused(store);
    if (refused) return refused;
    state.open = open;
    state.checkedAt = this.clock();
    return this.storeIm(store);
  }

  robotSettings(store: string): RobotSettings | IpcError {
    const state = this.of(store);
    if ('code' in state) return state;
    const refused = this.refused(store);
    if (refused) return refused;
    const name = this.stores.find((s) => s.epoiId === store)?.name ?? store;
    return { epoiId: store, storeName: name, scenes: structuredClone(state.robot), maxTextChars: ROBOT_MAX_CHARS };
  }

  saveRobotSettings(stores: string[], edit: RobotEdit): RobotSaveResult[] | IpcError {
    if (stores.length === 0) return { code: 'invalid', message: 'no store chosen' };
    for (const t of edit.texts) {
      if (t.scene !== 18) return { code: 'invalid', message: `the reply text of scene ${t.scene} cannot be changed on the platform` };
      if (t.text.trim() === '') return { code: 'invalid', message: `the reply text of scene ${t.scene} is empty` };
      if ([...t.text].length > ROBOT_MAX_CHARS) return { code: 'textTooLong', message: `the reply text of scene ${t.scene} is too long` };
    }
    for (const store of stores) {
      const state = this.of(store);
      if ('code' in state) return state;
    }
    return stores.map((store) => {
      const state = this.of(store) as StoreState;
      const storeName = this.stores.find((s) => s.epoiId === store)?.name ?? store;
      const refused = this.refused(store);
      if (refused) return { epoiId: store, storeName, saved: false, error: refused, settings: null };
      for (const s of edit.switches) {
        const scene = state.robot.find((r) => r.scene === s.scene);
        if (scene) scene.on = s.on;
      }
      for (const t of edit.texts) {
        const scene = state.robot.find((r) => r.scene === t.scene);
        if (scene) scene.text = t.text;
      }
      return { epoiId: store, storeName, saved: true, error: null, settings: this.robotSettings(store) as RobotSettings };
    });
  }
}
