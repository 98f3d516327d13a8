//! The few words of a notification that Rust writes itself (alert titles and bodies come
//! from `imdesk_core::alerts::render`), in the language the UI shows.

use imdesk_core::alerts::Lang;

/// The label of the button that opens the conversation.
pub fn open_action(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "打开会话",
        Lang::En => "Open conversation",
    }
}

/// The summary's title: how many customers were folded away.
pub fn more_waiting(waiting: usize, lang: Lang) -> String {
    match (lang, waiting) {
        (Lang::ZhCn, n) => format!("还有 {n} 位顾客等待回复"),
        (Lang::En, 1) => "1 more customer waiting".to_owned(),
        (Lang::En, n) => format!("{n} more customers waiting"),
    }
}
