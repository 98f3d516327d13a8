//! Notification text. The OS notification is shown by the Rust shell (not the webview), so its
//! text is rendered here, in zh-CN (the default) or English, from the data in an [`Alert`].

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::alert::{Alert, AlertKind};

/// Language of notification text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub enum Lang {
    /// Simplified Chinese.
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English.
    #[serde(rename = "en")]
    En,
}

/// Title and body of one OS notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertText {
    /// The first line.
    pub title: String,
    /// The second line; `None` when the only thing to say was message text hidden for privacy.
    pub body: Option<String>,
}

/// Longest preview shown, in characters.
pub const PREVIEW_CHARS: usize = 80;

/// Renders `alert`. `store_name` is the display name of `alert.store` (the store id is shown
/// when it is unknown; it is ignored for alerts that span several stores).
pub fn render<C>(alert: &Alert<C>, lang: Lang, store_name: Option<&str>) -> AlertText {
    let store = alert
        .store
        .as_ref()
        .map(|id| store_name.unwrap_or(id.as_str()).to_owned());
    let customer = alert.customer.clone().unwrap_or_default();
    let single = alert.count == 1;
    let preview = alert.preview.as_deref().map(shorten);
    let clock = alert.remaining_secs.map(mm_ss).unwrap_or_default();
    let (n, waiting, stores) = (alert.count, alert.waiting_count, alert.store_count);
    let zh = lang == Lang::ZhCn;
    let at = |base: &str| match &store {
        Some(s) => format!("{base} · {s}"),
        None => base.to_owned(),
    };
    let (title, body) = match alert.kind {
        AlertKind::Normal => (at_both(&store, &customer), preview),
        AlertKind::Summary => match &store {
            Some(s) if zh => (
                s.clone(),
                Some(format!("{n} 条新消息，{waiting} 位顾客等待回复")),
            ),
            Some(s) => (
                s.clone(),
                Some(format!(
                    "{}, {} waiting",
                    plural(n, "new message"),
                    plural(waiting, "customer")
                )),
            ),
            None if zh => (
                format!("{stores} 家门店有新消息"),
                Some(format!("{n} 条新消息，共 {waiting} 位顾客等待回复")),
            ),
            None => (
                format!("New messages in {stores} stores"),
                Some(format!(
                    "{}, {} waiting in all",
                    plural(n, "new message"),
                    plural(waiting, "customer")
                )),
            ),
        },
        AlertKind::Urgent if single => {
            let base = if zh { "紧急消息" } else { "Urgent" };
            (format!("{base} · {}", at_both(&store, &customer)), preview)
        }
        AlertKind::Urgent if zh => (
            "紧急消息".to_owned(),
            Some(format!("{n} 位紧急顾客等待回复")),
        ),
        AlertKind::Urgent => (
            "Urgent messages".to_owned(),
            Some(format!("{} waiting", plural(n, "urgent customer"))),
        ),
        AlertKind::UrgentRepeat => {
            let title = if zh {
                "紧急消息仍未回复"
            } else {
                "Urgent message still unanswered"
            };
            let body = match (single, zh) {
                (true, _) => at_both(&store, &customer),
                (false, true) => format!("{n} 位紧急顾客等待回复"),
                (false, false) => format!("{} waiting", plural(n, "urgent customer")),
            };
            (title.to_owned(), Some(body))
        }
        AlertKind::PreAlert => {
            let base = match (alert.urgent, zh) {
                (true, true) => "紧急消息即将超时",
                (false, true) => "即将超时",
                (true, false) => "Urgent reply due soon",
                (false, false) => "Reply due soon",
            };
            let body = match (single, zh) {
                (true, true) => format!("{customer} 还剩 {clock}"),
                (true, false) => format!("{customer}: {clock} left"),
                (false, true) => format!("{n} 位顾客即将超时，共 {waiting} 位等待回复"),
                (false, false) => format!(
                    "{} close to the deadline, {waiting} waiting",
                    plural(n, "customer")
                ),
            };
            (at(base), Some(body))
        }
        AlertKind::Overdue => {
            let base = match (alert.urgent, zh) {
                (true, true) => "紧急消息超时未回复",
                (false, true) => "超时未回复",
                (true, false) => "Urgent reply overdue",
                (false, false) => "Reply overdue",
            };
            let body = match (single, zh) {
                (true, true) => format!("{customer} 已超时 {clock}"),
                (true, false) => format!("{customer}: overdue by {clock}"),
                (false, true) => format!("{n} 位顾客超时未回复"),
                (false, false) => format!("{} past the deadline", plural(n, "customer")),
            };
            (at(base), Some(body))
        }
        AlertKind::CatchUp => {
            let overdue = alert.overdue_count;
            let title = if zh {
                "通知已恢复"
            } else {
                "Notifications resumed"
            };
            let body = match (zh, overdue) {
                (true, 0) => format!("{n} 位顾客等待回复"),
                (true, o) => format!("{n} 位顾客等待回复，其中 {o} 位已超时"),
                (false, 0) => format!("{} waiting", plural(n, "customer")),
                (false, o) => format!("{} waiting, {o} overdue", plural(n, "customer")),
            };
            (at(title), Some(body))
        }
    };
    AlertText { title, body }
}

fn at_both(store: &Option<String>, customer: &str) -> String {
    match store {
        Some(s) if !customer.is_empty() => format!("{s} · {customer}"),
        Some(s) => s.clone(),
        None => customer.to_owned(),
    }
}

fn plural(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `m:ss` of the magnitude (the words say whether it is left or overdue).
fn mm_ss(secs: i64) -> String {
    let s = secs.unsigned_abs();
    format!("{}:{:02}", s / 60, s % 60)
}

/// One line, at most [`PREVIEW_CHARS`] characters.
fn shorten(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= PREVIEW_CHARS {
        return one_line;
    }
    let mut s: String = one_line.chars().take(PREVIEW_CHARS - 1).collect();
    s.push('…');
    s
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
