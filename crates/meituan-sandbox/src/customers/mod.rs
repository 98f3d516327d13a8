//! Simulated customers: the Chinese they speak ([`lexicon`]) and the loop that makes them
//! chat, read, answer and escalate ([`chatter`]).

pub(crate) mod chatter;
pub mod lexicon;
