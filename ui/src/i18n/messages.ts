/**
 * The string catalogue: every visible word of the UI, zh-CN first (the default), English second.
 * Keys are grouped by feature. `{name}` marks a parameter filled by `t(key, { name })`.
 * The English table must have exactly the keys and parameters of the Chinese one (tested).
 */
export const zhCN = {
  'app.title': 'imdesk 客服工作台',

  'stores.rail': '门店',
  'stores.empty': '暂无门店',

  'inbox.title': '会话',
  'inbox.empty': '暂无会话',

  'chat.empty': '选择左侧会话开始回复',

  'status.connection.offline': '未连接',
  'status.connection.live': '已连接 {live}/{total}',
  'status.connection.reconnecting': '正在重连（第 {attempt} 次）',
  'status.version': '版本 {version}',
  'status.versionLoading': '版本 …',
  'status.dataDir': '数据目录：{path}',
  'status.demo': '演示模式',
  'status.demoHint': '未配置开发者凭证，正在使用内置演示门店和顾客',

  'settings.language': '切换语言',
  'settings.language.other': 'English',

  'time.yesterday': '昨天 {time}',
  'time.thisYear': '{month}月{day}日 {time}',
  'time.otherYear': '{year}年{month}月{day}日 {time}',
  'clock.overdue': '超时 {elapsed}',

  'error.network': '网络中断，请检查网络后重试',
  'error.timeout': '请求超时，请稍后重试',
  'error.auth': '门店授权已失效，请重新授权',
  'error.rate_limited': '操作太频繁，请稍后再试',
  'error.not_found': '找不到该记录，可能已被删除',
  'error.invalid_input': '输入内容有误，请检查后重试',
  'error.storage': '本地数据读写失败，请检查磁盘空间',
  'error.internal': '程序内部错误，请重启后重试；如仍出现请联系技术支持',
  'error.unknown': '操作失败（{code}），请稍后重试',
} as const;

export type MessageKey = keyof typeof zhCN;

export const en: { readonly [K in MessageKey]: string } = {
  'app.title': 'imdesk service desk',

  'stores.rail': 'Stores',
  'stores.empty': 'No stores yet',

  'inbox.title': 'Conversations',
  'inbox.empty': 'No conversations',

  'chat.empty': 'Pick a conversation on the left to reply',

  'status.connection.offline': 'Offline',
  'status.connection.live': 'Connected {live}/{total}',
  'status.connection.reconnecting': 'Reconnecting (attempt {attempt})',
  'status.version': 'Version {version}',
  'status.versionLoading': 'Version …',
  'status.dataDir': 'Data folder: {path}',
  'status.demo': 'Demo',
  'status.demoHint': 'No developer credentials set: using the built-in demo stores and customers',

  'settings.language': 'Switch language',
  'settings.language.other': '中文',

  'time.yesterday': 'Yesterday {time}',
  'time.thisYear': '{month}/{day} {time}',
  'time.otherYear': '{year}/{month}/{day} {time}',
  'clock.overdue': 'Overdue {elapsed}',

  'error.network': 'Network is down; check the connection and try again',
  'error.timeout': 'The request timed out; try again shortly',
  'error.auth': 'Store authorisation has expired; authorise the store again',
  'error.rate_limited': 'Too many requests; try again shortly',
  'error.not_found': 'Not found; it may have been deleted',
  'error.invalid_input': 'Some input is invalid; check it and try again',
  'error.storage': 'Could not read or write local data; check free disk space',
  'error.internal': 'Internal error; restart the app, and contact support if it persists',
  'error.unknown': 'Something went wrong ({code}); try again shortly',
};
