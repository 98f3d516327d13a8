/**
 * A realistic demo brand for the in-memory backend: a dozen Beijing stores, a few hundred
 * conversations of every kind and state (urgent 9003 complaints, overdue clocks, after-sale
 * chats whose window has closed, blocked customers), histories, order cards and quick replies.
 * Generated from a seed so tests see the same brand every run.
 */
import type {
  ChatMessage,
  ComposeBlock,
  ConversationKind,
  ConversationRow,
  ConversationTitle,
  OrderCard,
  OrderState,
  QuickReply,
  ReviewCard,
} from '../backend';
import { MOCK_CLOCK } from './defaults';

/** One conversation as the mock keeps it. */
export type MockConversation = {
  row: ConversationRow;
  /** Oldest first. */
  messages: ChatMessage[];
  order: OrderCard | null;
  review: ReviewCard | null;
  draft: string;
  composeBlock: ComposeBlock | null;
  windowClosesAt: number | null;
};

export type MockStore = { epoiId: string; name: string; businessId: number; muted: boolean };

export type MockBrand = { stores: MockStore[]; conversations: MockConversation[]; quickReplies: QuickReply[] };

export const SCENES: Record<number, string> = {
  9003: '投诉',
  3002: '餐品质量问题',
  3001: '错送/少送',
  9001: '已联系客服',
  2203: '补充备注',
};

const STORE_NAMES = ['望京店', '国贸店', '三里屯店', '中关村店', '五道口店', '西单店', '朝阳门店', '双井店', '亦庄店', '回龙观店', '通州万达店', '望京SOHO店'];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙'];
const CUSTOMER_TEXTS = [
  '你好，我的外卖什么时候到？',
  '骑手已经超时 20 分钟了',
  '少送了一份米饭',
  '汤洒了，包装破了',
  '能开发票吗？',
  '可以帮我催一下吗',
  '不要放香菜，谢谢',
  '退款怎么处理？',
  '地址写错了，能改吗？',
  '今天的牛肉饭有点咸',
  '请问还有辣子鸡吗',
  '好的，谢谢',
];
const MERCHANT_TEXTS = [
  '您好，很高兴为您服务～',
  '已为您催促骑手，预计 10 分钟内送达',
  '非常抱歉，我们马上为您处理',
  '好的，已为您备注',
  '已为您申请部分退款，请留意退款通知',
];
const RIDER_TEXTS = ['我已到楼下，请下楼取餐', '路上有点堵，稍等 5 分钟', '商家出餐慢，我在店里等'];
const DISHES: [string, number, string | null][] = [
  ['招牌牛肉饭', 3200, '大份'],
  ['宫保鸡丁饭', 2600, null],
  ['番茄蛋汤', 800, null],
  ['米饭', 200, null],
  ['香辣鸡腿堡', 1900, '不要生菜'],
  ['冰柠檬茶', 1200, '少冰'],
  ['酸辣土豆丝', 1600, null],
];
const REVIEWS: ReviewCard[] = [
  { score: 2, text: '送餐太慢，饭都凉了' },
  { score: 1, text: '少送了一份米饭，联系不上商家' },
  { score: null, text: '味道一般，分量有点少' },
];

/** mulberry32: a tiny seeded PRNG, enough for believable, repeatable demo data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A small inline picture (no network) standing in for a customer's photo. */
export function demoImage(label: string, hue: number): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="360"><rect width="480" height="360" fill="hsl(${hue},45%,62%)"/><text x="240" y="190" font-size="40" text-anchor="middle" fill="#fff">${label}</text></svg>`;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

let keySeq = 0;
/** A message key unique in this page (the core's keys are unique per conversation). */
export function nextMessageKey(conversationId: string): string {
  keySeq += 1;
  return `${conversationId}-m${keySeq}`;
}

export type BrandOptions = { now: number; conversations?: number; seed?: number };

export function buildDemoBrand({ now, conversations = 320, seed = 7 }: BrandOptions): MockBrand {
  const rand = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const stores: MockStore[] = STORE_NAMES.map((name, i) => ({
    epoiId: `epoi-${1001 + i}`,
    name,
    businessId: i % 5 === 4 ? 16 : 2,
    muted: false,
  }));
  const list: MockConversation[] = [];
  for (let i = 0; i < conversations; i++) {
    const store = stores[i % stores.length] as MockStore;
    const id = `c${String(i + 1).padStart(4, '0')}`;
    // The first conversations are the urgent complaints of an in-progress order (the demo's opening scene).
    const kindRoll = i < 4 ? 0 : rand();
    const kind: ConversationKind =
      kindRoll < 0.75 ? 'twoParty' : kindRoll < 0.85 ? 'reviewContact' : kindRoll < 0.9 ? 'fansGroup' : 'riderGroup';
    const customer = `${pick(SURNAMES)}**`;
    // As the core masks a customer: the last four digits of the id.
    const masked = String(8_800_000 + i * 37).slice(-4);
    const groupId = String(9_000_000 + i);
    const title: ConversationTitle =
      kind === 'twoParty'
        ? { kind: 'customer', customer: masked }
        : kind === 'reviewContact'
          ? { kind: 'review', commentId: String(5_100_000 + i) }
          : kind === 'fansGroup'
            ? { kind: 'fansGroup', name: i % 3 === 0 ? null : `${store.name}粉丝群`, groupId }
            : { kind: 'riderGroup', customer: masked, groupId };
    let orderState: OrderState | null = null;
    if (kind === 'twoParty') {
      const s = i < 4 ? 0.5 : rand();
      orderState = s < 0.2 ? 'preOrder' : s < 0.6 ? 'inProgress' : s < 0.9 ? 'afterSale' : 'closed';
    }
    const blocked = i >= 4 && kind === 'twoParty' && rand() < 0.02;
    // The first conversations wait on urgent complaints, then a spread of running and overdue clocks.
    const urgent = i < 4 || (kind === 'twoParty' && rand() < 0.03);
    const waiting = urgent || rand() < 0.25;
    const lastAt = waiting ? now - Math.floor(rand() * 240_000) - 5_000 : now - Math.floor(rand() * 6 * 3600_000) - 60_000;
    const windowMs = urgent ? MOCK_CLOCK.urgentMs : MOCK_CLOCK.normalMs;
    const deadlineAt = waiting ? lastAt + windowMs : null;
    const sceneTag = urgent ? 9003 : waiting && rand() < 0.2 ? pick([3002, 3001, 9001, 2203]) : null;
    const order = orderState && orderState !== 'preOrder' ? makeOrder(rand, pick, store.name, customer, now, orderState) : kind === 'riderGroup' ? makeOrder(rand, pick, store.name, customer, now, 'inProgress') : null;
    const completedAt = order?.completedAt ?? null;
    const windowClosesAt = completedAt !== null ? completedAt + 48 * 3600_000 : null;
    const composeBlock: ComposeBlock | null = blocked
      ? 'customerBlocked'
      : orderState === 'closed'
        ? 'windowClosed'
        : kind === 'fansGroup' && i % 7 === 0
          ? 'imClosed'
          : null;
    const messages = makeHistory(rand, pick, id, kind, store.name, lastAt, i < 2 ? 120 : 3 + Math.floor(rand() * 40), waiting, sceneTag);
    const last = messages[messages.length - 1] as ChatMessage;
    list.push({
      row: {
        id,
        storeId: store.epoiId,
        storeName: store.name,
        kind,
        title,
        ...previewOf(last),
        lastAt,
        lastFromCustomer: last.author === 'customer',
        orderState,
        sceneTag,
        sceneName: sceneTag ? (SCENES[sceneTag] ?? null) : null,
        urgent,
        attention: false,
        unread: waiting ? 1 + Math.floor(rand() * 3) : 0,
        deadlineAt,
        awaitingSince: waiting ? lastAt : null,
        blocked,
      },
      messages,
      order,
      review: kind === 'reviewContact' ? pick(REVIEWS) : null,
      draft: '',
      composeBlock,
      windowClosesAt,
    });
  }
  return { stores, conversations: list, quickReplies: demoQuickReplies(stores) };
}

/** The inbox row's preview fields for its last message. */
export function previewOf(message: ChatMessage): Pick<ConversationRow, 'lastBody' | 'lastText'> {
  return { lastBody: message.body, lastText: message.text ?? '' };
}

function makeOrder(
  rand: () => number,
  pick: <T>(list: readonly T[]) => T,
  storeName: string,
  customer: string,
  now: number,
  state: OrderState,
): OrderCard {
  const items = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
    const [name, priceFen, spec] = pick(DISHES);
    const quantity = 1 + Math.floor(rand() * 2);
    return { name, quantity, priceFen: priceFen * quantity, spec };
  });
  const createdAt = state === 'inProgress' ? now - Math.floor(rand() * 40 * 60_000) : now - Math.floor(rand() * 96 * 3600_000) - 3600_000;
  const completed = state === 'afterSale' || state === 'closed';
  const completedAt = completed ? (state === 'closed' ? now - 50 * 3600_000 - Math.floor(rand() * 3600_000) : Math.min(createdAt + 40 * 60_000, now - 60_000)) : null;
  const shippingFeeFen = 300 + Math.floor(rand() * 4) * 100;
  return {
    orderIdView: String(2700_0000_0000_0000 + Math.floor(rand() * 1e12)),
    daySeq: 1 + Math.floor(rand() * 180),
    status: completed ? 8 : pick([4, 6]),
    items,
    totalFen: items.reduce((sum, item) => sum + item.priceFen, 0) + shippingFeeFen,
    shippingFeeFen,
    createdAt,
    estimatedArrivalAt: completed ? null : createdAt + 45 * 60_000,
    completedAt,
    recipientName: `${customer.slice(0, 1)}(${rand() < 0.5 ? '先生' : '女士'})`,
    recipientPhone: `1${3 + Math.floor(rand() * 6)}*******${String(Math.floor(rand() * 100)).padStart(2, '0')}`,
    recipientAddress: `北京市朝阳区${storeName.replace('店', '')}附近 ****`,
    caution: rand() < 0.3 ? '不要香菜，多放辣' : null,
    rider: state === 'inProgress' ? `${pick(SURNAMES)}师傅 157****${String(Math.floor(rand() * 10000)).padStart(4, '0')}` : null,
    fetchedAt: now - 30_000,
  };
}

function makeHistory(
  rand: () => number,
  pick: <T>(list: readonly T[]) => T,
  id: string,
  kind: ConversationKind,
  storeName: string,
  lastAt: number,
  count: number,
  waiting: boolean,
  sceneTag: number | null,
): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let at = lastAt - count * 90_000;
  for (let n = 0; n < count; n++) {
    at = n === count - 1 ? lastAt : at + 30_000 + Math.floor(rand() * 90_000);
    const isLast = n === count - 1;
    const roll = rand();
    const author = isLast ? (waiting ? 'customer' : 'merchant') : kind === 'riderGroup' && roll < 0.2 ? 'rider' : roll < 0.03 ? 'system' : roll < 0.6 ? 'customer' : 'merchant';
    const image = author === 'customer' && !isLast && rand() < 0.06;
    const text =
      author === 'customer'
        ? image
          ? demoImage('顾客图片', Math.floor(rand() * 360))
          : isLast && sceneTag === 9003
            ? '菜品里有异物，我要投诉！'
            : pick(CUSTOMER_TEXTS)
        : author === 'merchant'
          ? pick(MERCHANT_TEXTS).replace('～', `，这里是${storeName}～`)
          : author === 'rider'
            ? pick(RIDER_TEXTS)
            : '顾客已确认收货';
    messages.push({
      key: nextMessageKey(id),
      msgId: String(6_000_000 + Math.floor(rand() * 1e6)),
      author,
      body: image ? 'image' : 'text',
      text,
      at,
      sceneTag: isLast ? sceneTag : null,
      sceneName: isLast && sceneTag ? (SCENES[sceneTag] ?? null) : null,
      sendState: author === 'merchant' ? 'sent' : null,
      failReason: null,
      unseen: null,
      read: author === 'merchant',
    });
  }
  return messages;
}

function demoQuickReplies(stores: MockStore[]): QuickReply[] {
  const brand: [string, string][] = [
    ['问候', '您好{顾客}，这里是{门店}，很高兴为您服务～'],
    ['催单', '{顾客}您好，已为您催促骑手，预计 {预计送达} 送达，请耐心等待'],
    ['道歉', '非常抱歉给您带来不好的体验，我们马上为您处理'],
    ['少送', '您好，订单 {订单号} 少送的餐品我们马上为您补送或退款'],
    ['发票', '您好，发票请在订单详情页申请，我们会尽快开具'],
    ['退款', '已为您申请退款，预计 1-3 个工作日原路退回'],
    ['感谢', '感谢您的支持，祝您用餐愉快！'],
  ];
  const replies: QuickReply[] = brand.map(([title, text], i) => ({ id: i + 1, store: null, title, text }));
  const first = stores[0];
  if (first) replies.push({ id: brand.length + 1, store: first.epoiId, title: '营业时间', text: '{门店}营业时间 10:00–22:00，欢迎再次光临' });
  return replies;
}
