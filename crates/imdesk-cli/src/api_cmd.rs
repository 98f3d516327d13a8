//! `imdesk-cli api <endpoint> --store <epoi_id> [--biz '<json>']`: signs and calls one
//! platform endpoint for a configured store, in that store's integration, and prints the
//! response `data` as JSON on stdout.
//!
//! Configuration is `imdesk_core::config::DeskConfig`: the platform config file (or
//! `--config`), overridden by `IMDESK_GATEWAY_URL`, `IMDESK_DEVELOPER_ID`, `IMDESK_SIGN_KEY`
//! and `IMDESK_STORES`. On failure the command exits non-zero with one line in Chinese then
//! English, naming the endpoint, the platform code and the traceId when there is one; it
//! never prints a secret.

use std::path::PathBuf;

use imdesk_core::config::{ConfigError, DeskConfig};
use meituan_api::{ApiError, ClientConfig, DeveloperCredentials, MeituanClient, StoreToken};

/// Arguments of `imdesk-cli api`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Endpoint as named in the protocol document: an IM suffix such as `getPoiIMStatus` or
    /// `msg/send`, or a context endpoint: `order/detail`, `poi/info`,
    /// `comment/queryCommentList`.
    pub endpoint: String,
    /// The store's epoiId, as configured (`IMDESK_STORES` or the config file).
    #[arg(long)]
    pub store: String,
    /// Business parameters as a JSON object with the businessId-16 keys; for businessId-2
    /// stores the opaque `data` form is applied where the protocol needs it.
    #[arg(long)]
    pub biz: Option<String>,
    /// Read this config file instead of the platform default.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let data = call(&args)
        .await
        .map_err(|failure| anyhow::anyhow!(failure))?;
    println!("{}", serde_json::to_string_pretty(&data)?);
    Ok(())
}

/// Everything that can stop the command, each shown as one bilingual line.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("配置无效 / invalid configuration: {}", one_line(&.0.to_string()))]
    Config(#[from] ConfigError),
    #[error(
        "未配置开发者凭据 / no developer credentials: set IMDESK_DEVELOPER_ID and IMDESK_SIGN_KEY"
    )]
    NoCredentials,
    #[error("未配置该门店 / store not configured: {0} (see IMDESK_STORES)")]
    UnknownStore(String),
    #[error("--biz 不是有效的 JSON / --biz is not valid JSON (line {line}, column {column})")]
    BizNotJson { line: usize, column: usize },
    #[error("{}", api_line(.0))]
    Api(#[from] ApiError),
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `调用失败（平台拒绝）/ call failed: msg/send: platform error OP_X: msg (traceId t)`.
fn api_line(error: &ApiError) -> String {
    let kind = match error {
        ApiError::Platform { .. } | ApiError::OAuth { .. } => "平台拒绝",
        ApiError::Transport { .. } => "网络或响应错误",
        ApiError::Validation { .. } => "请求无效",
        ApiError::MissingToken { .. } => "缺少门店令牌",
        ApiError::Config { .. } => "客户端配置错误",
    };
    one_line(&format!("调用失败（{kind}）/ call failed: {error}"))
}

async fn call(args: &Args) -> Result<serde_json::Value, Failure> {
    let config = match &args.config {
        Some(path) => DeskConfig::load(Some(path))?,
        None => DeskConfig::load_default()?,
    };
    let (Some(developer_id), Some(sign_key)) = (config.developer_id, config.sign_key.clone())
    else {
        return Err(Failure::NoCredentials);
    };
    if sign_key.is_blank() {
        return Err(Failure::NoCredentials);
    }
    let store = config
        .stores
        .iter()
        .find(|s| s.epoi_id == args.store)
        .ok_or_else(|| Failure::UnknownStore(args.store.clone()))?;
    let key = store.key()?;
    let biz = match &args.biz {
        None => None,
        Some(text) => Some(
            serde_json::from_str::<serde_json::Value>(text).map_err(|e| Failure::BizNotJson {
                line: e.line(),
                column: e.column(),
            })?,
        ),
    };
    let client = MeituanClient::new(
        DeveloperCredentials::new(developer_id, sign_key),
        ClientConfig::with_base_url(config.gateway_url.clone()),
    )?;
    client.set_token(
        key.clone(),
        StoreToken::static_token(store.app_auth_token.clone()),
    );
    Ok(client.call_raw(&key, &args.endpoint, biz.as_ref()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_errors_are_one_bilingual_line_with_code_and_trace() {
        let e = ApiError::Platform {
            endpoint: "msg/send".into(),
            code: "OP_USER_BLOCKED".into(),
            msg: "customer\nblocked".into(),
            trace_id: Some("tr-1".into()),
            meaning: None,
        };
        assert_eq!(
            Failure::from(e).to_string(),
            "调用失败（平台拒绝）/ call failed: msg/send: platform error OP_USER_BLOCKED: customer blocked (traceId tr-1)"
        );
    }
}
