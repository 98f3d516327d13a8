//! The keep-alive exchange. **\[INF\]** (§6.3): the client's payload is not confirmed; the
//! server's answer is the text frame `HB`. Both live here and nowhere else.

/// What the client sends every keep-alive interval.
pub const CLIENT_KEEPALIVE: &str = "HB";

/// Whether a text frame is the server's keep-alive answer rather than a push.
pub fn is_server_keepalive(frame: &str) -> bool {
    frame.trim() == "HB"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_hb_only() {
        assert!(is_server_keepalive("HB"));
        assert!(is_server_keepalive(" HB\n"));
        assert!(!is_server_keepalive("HBX"));
        assert!(!is_server_keepalive("%7B%7D"));
    }
}
