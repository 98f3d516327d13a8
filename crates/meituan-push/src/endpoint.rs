//! The WebSocket URL of one connection. **\[INF\]** (§6.2): the path shape and the
//! `connectionId` of `getConnectionTokenWithCount` tokens are inferred; this module is the one
//! place to correct them. No other client crate derives a connectionId (`meituan-api` hands
//! over the `appkey` as it came); the sandbox keeps its own, independent reading.

use meituan_wire::AppId;
use url::Url;

use crate::token::ConnectionSlot;

/// `connectionId` for tokens from `getConnectionTokenWithCount`, whose response has only an
/// `appkey` \[INF\]: the publicly seen `<number>_WMOPEN` shape (§6.2, open question 3). If
/// the platform refuses sockets opened under it, the engine's token source falls back to
/// `getConnectionToken`, whose response names the connectionId itself.
pub fn with_count_connection_id(appkey: impl Into<AppId>) -> String {
    format!("{}_WMOPEN", appkey.into().0)
}

/// Why a connection URL could not be built. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// `push_url` is not an absolute ws/wss/http(s) URL that can take path segments.
    #[error("push_url cannot be used as a WebSocket base URL")]
    BadBase,
}

/// `{push_url}/websocket/{connectionId}/{connectionToken}`, each segment percent-encoded as a
/// path segment so a token holding `/` or `?` cannot change the path.
pub fn connection_url(push_url: &str, slot: &ConnectionSlot) -> Result<Url, EndpointError> {
    let mut url = Url::parse(push_url).map_err(|_| EndpointError::BadBase)?;
    if !matches!(url.scheme(), "ws" | "wss") {
        return Err(EndpointError::BadBase);
    }
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|_| EndpointError::BadBase)?;
        segments.pop_if_empty();
        segments.push("websocket");
        segments.push(&slot.connection_id);
        segments.push(&slot.connection_token);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(id: &str, token: &str) -> ConnectionSlot {
        ConnectionSlot {
            connection_id: id.into(),
            connection_token: token.into(),
        }
    }

    #[test]
    fn builds_the_documented_path() {
        let url = connection_url("wss://wpush.meituan.com", &slot("718_WMOPEN", "abc")).unwrap();
        assert_eq!(
            url.as_str(),
            "wss://wpush.meituan.com/websocket/718_WMOPEN/abc"
        );
        let url = connection_url(
            "ws://127.0.0.1:9/",
            &slot(&with_count_connection_id(42), "t"),
        )
        .unwrap();
        assert_eq!(url.as_str(), "ws://127.0.0.1:9/websocket/42_WMOPEN/t");
    }

    #[test]
    fn keeps_a_base_path_and_escapes_token_characters() {
        let url = connection_url("ws://h/push", &slot("1_WMOPEN", "a/b?c#d")).unwrap();
        assert_eq!(url.as_str(), "ws://h/push/websocket/1_WMOPEN/a%2Fb%3Fc%23d");
    }

    #[test]
    fn refuses_non_websocket_bases() {
        assert_eq!(
            connection_url("https://h", &slot("1", "t")),
            Err(EndpointError::BadBase)
        );
        assert_eq!(
            connection_url("nonsense", &slot("1", "t")),
            Err(EndpointError::BadBase)
        );
    }
}
