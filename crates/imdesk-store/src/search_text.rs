//! Our own tokenisation for full-text search, done in Rust because the workspace forbids
//! `unsafe` (so no C tokenizer can be registered with FTS5).
//!
//! A message is indexed as a *derived text*: every run of CJK characters becomes its
//! overlapping character bigrams ("申请退款" → "申请 请退 退款"), every run of other letters or
//! digits becomes one lowercase word, and everything else is a separator. The FTS5 table uses
//! the plain `unicode61` tokenizer, which then sees exactly one token per bigram or word.
//! A query is turned into the same tokens, ANDed, so a two-character Chinese search is a single
//! token lookup. Because the table is built with `detail=none` (no positions, a much smaller
//! and faster index), a longer query is a superset match; the caller verifies each candidate
//! with a substring test on the real text ([`QueryPlan::matches`]).

/// True for characters that are searched by bigrams: Han ideographs, kana and Hangul.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF        // Hiragana, Katakana
        | 0x3400..=0x4DBF      // CJK Extension A
        | 0x4E00..=0x9FFF      // CJK Unified Ideographs
        | 0xAC00..=0xD7AF      // Hangul syllables
        | 0xF900..=0xFAFF      // CJK Compatibility Ideographs
        | 0x20000..=0x3134F    // Extensions B–G
    )
}

/// Folds full-width ASCII (ＡＢＣ１２３, common in Chinese input) to ASCII and lowercases.
fn fold(c: char) -> char {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// One piece of a text: a CJK run or a word (letters/digits).
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Cjk(Vec<char>),
    Word(String),
}

fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut cjk: Vec<char> = Vec::new();
    let mut word = String::new();
    for c in text.chars().map(fold) {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
            cjk.push(c);
        } else if c.is_alphanumeric() {
            if !cjk.is_empty() {
                out.push(Piece::Cjk(std::mem::take(&mut cjk)));
            }
            word.extend(c.to_lowercase());
        } else {
            if !cjk.is_empty() {
                out.push(Piece::Cjk(std::mem::take(&mut cjk)));
            }
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
        }
    }
    if !cjk.is_empty() {
        out.push(Piece::Cjk(cjk));
    }
    if !word.is_empty() {
        out.push(Piece::Word(word));
    }
    out
}

/// A message's search text (see [`index_text`]), made before the message reaches the store's
/// writer: the ingest pipeline makes it on its own thread, so that the writer, the one
/// thread every write waits for, only stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchBody(String);

impl SearchBody {
    /// The search text of `text`.
    pub fn of(text: &str) -> Self {
        Self(index_text(text))
    }

    /// The text as stored in the index.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The derived text stored in the FTS5 table for one message text.
pub fn index_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for piece in pieces(text) {
        match piece {
            Piece::Word(w) => push_token(&mut out, &w),
            // A lone CJK character is kept as a unigram so that the derived text loses nothing;
            // queries never look it up (they fall back to a scan for one-character searches).
            Piece::Cjk(run) if run.len() == 1 => push_token(&mut out, &run[0].to_string()),
            Piece::Cjk(run) => {
                for pair in run.windows(2) {
                    let token: String = pair.iter().collect();
                    push_token(&mut out, &token);
                }
            }
        }
    }
    out
}

fn push_token(out: &mut String, token: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(token);
}

/// How a search string is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPlan {
    /// FTS5 MATCH expression; `None` when the query has no token the index can serve (a lone
    /// CJK character or only punctuation): the caller then scans with a substring test.
    pub fts_match: Option<String>,
    /// Folded, whitespace-separated terms that must all occur in the folded message text.
    terms: Vec<String>,
}

impl QueryPlan {
    /// Plans a user query. Whitespace separates terms that must all occur (in any order).
    /// Returns `None` when the query has no searchable character at all.
    pub fn new(query: &str) -> Option<Self> {
        let terms: Vec<String> = query
            .split_whitespace()
            .map(|t| t.chars().map(fold).flat_map(char::to_lowercase).collect())
            .collect();
        let mut tokens: Vec<String> = Vec::new();
        for term in &terms {
            for piece in pieces(term) {
                match piece {
                    // Words match as prefixes, so "ipho" finds "iPhone".
                    Piece::Word(w) => tokens.push(format!("\"{w}\"*")),
                    Piece::Cjk(run) if run.len() == 1 => {}
                    Piece::Cjk(run) => {
                        for pair in run.windows(2) {
                            let token: String = pair.iter().collect();
                            tokens.push(format!("\"{token}\""));
                        }
                    }
                }
            }
        }
        let searchable = terms
            .iter()
            .any(|t| t.chars().any(|c| is_cjk(c) || c.is_alphanumeric()));
        if !searchable {
            return None;
        }
        tokens.dedup();
        let fts_match = (!tokens.is_empty()).then(|| tokens.join(" AND "));
        Some(Self { fts_match, terms })
    }

    /// True when `text` contains every term of the query (after the same folding).
    pub fn matches(&self, text: &str) -> bool {
        let folded: String = text
            .chars()
            .map(fold)
            .flat_map(char::to_lowercase)
            .collect();
        self.terms.iter().all(|t| folded.contains(t.as_str()))
    }

    /// The first term, for the SQL `instr` pre-filter of the scan fallback.
    pub fn first_term(&self) -> &str {
        self.terms.first().map(String::as_str).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_runs_become_bigrams_and_words_stay_whole() {
        assert_eq!(index_text("申请退款"), "申请 请退 退款");
        assert_eq!(
            index_text("我的iPhone退款了，订单12345"),
            "我的 iphone 退款 款了 订单 12345"
        );
        assert_eq!(index_text("ＡＢＣ１２３好"), "abc123 好");
        assert_eq!(index_text("!!! ..."), "");
    }

    #[test]
    fn two_character_query_is_one_token() {
        let plan = QueryPlan::new("退款").unwrap();
        assert_eq!(plan.fts_match.as_deref(), Some("\"退款\""));
        assert!(plan.matches("我要申请退款"));
        assert!(!plan.matches("我要退一下款"));
    }

    #[test]
    fn longer_and_mixed_queries_and_terms() {
        let plan = QueryPlan::new("退款了 iPho").unwrap();
        assert_eq!(
            plan.fts_match.as_deref(),
            Some("\"退款\" AND \"款了\" AND \"ipho\"*")
        );
        assert!(plan.matches("IPHONE 退款了吗"));
        assert!(!plan.matches("退款 了 iphone"));
    }

    #[test]
    fn single_character_and_empty_queries() {
        let plan = QueryPlan::new("退").unwrap();
        assert_eq!(plan.fts_match, None);
        assert!(plan.matches("退款"));
        assert_eq!(QueryPlan::new("  ，。 "), None);
    }
}
