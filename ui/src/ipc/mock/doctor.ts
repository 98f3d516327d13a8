/**
 * The mock core's connection doctor: a plausible report for the demo brand (every token works,
 * three open sockets, one failed reply and one quarantined frame), so the Settings page can be
 * previewed and tested without Rust.
 */
import type { BundleInfo, DoctorReport } from '../backend';
import type { MockStore } from './brand';

export function demoDoctorReport(stores: MockStore[], now: number): DoctorReport {
  return {
    generatedAt: now,
    gatewayUrl: 'http://127.0.0.1:0',
    pushUrl: 'ws://127.0.0.1:0',
    developerId: '100001',
    stores: stores.map((s) => ({
      epoiId: s.epoiId,
      name: s.name,
      businessId: s.businessId,
      tokenOk: true,
      imOpen: true,
      failure: null,
      elapsedMs: 12,
    })),
    push: {
      scope: 'developer',
      running: true,
      state: 'online',
      sockets: [0, 1, 2].map((index) => ({
        index,
        state: 'open' as const,
        lastFrameAt: now - 4_000,
        reconnects: 0,
        frames: 42,
        keepalives: 9,
        duplicates: 84,
        quarantined: index === 0 ? 1 : 0,
        lastDisconnect: null,
      })),
      imSecretFetchedAt: now - 95_000,
      imSecretAgeMs: 95_000,
    },
    clock: { samples: 12, skewMs: 350, precisionMs: 520, lastSampleAt: now - 1_000 },
    replies: {
      total: 120,
      failed: 1,
      counts: [{ kind: 'platform:OP_RATE_LIMITED', count: 1 }],
      recent: [
        {
          at: now - 60_000,
          endpoint: 'msg/send',
          kind: 'platform',
          code: 'OP_RATE_LIMITED',
          msg: 'too many requests',
          traceId: 'demo-trace-1',
        },
      ],
    },
    quarantine: {
      total: 1,
      counts: [{ kind: 'unknown_store', count: 1 }],
      recent: [
        {
          id: 1,
          receivedAt: now - 120_000,
          reason: 'unknown_store',
          detail: '{"code":"unknown_store","store":"mt-9999"}',
          redacted: '{"epoiId":"mt-9999","push_content":{"msg_content":"<24 chars>","msg_id":77}}',
          rawLen: 212,
        },
      ],
    },
  };
}

export function demoBundle(now: number): BundleInfo {
  return {
    path: `(browser preview)/diagnostics/imdesk-diagnostics-${now}.zip`,
    entries: ['README.txt', 'report.json', 'logs/imdesk.log'],
    bytes: 2048,
  };
}
