//! Adding and changing stores from the settings (设置 → 凭据). Every store whose token or OAuth
//! authorisation code was entered is authorised before anything is written: a code is
//! exchanged for the store's token pair (§3), and each token is checked with a harmless read
//! (`getPoiIMStatus`, as the connection doctor does). A refusal names the store and says why,
//! and nothing is saved. The checked tokens are then kept: the access token as the store's
//! configured token, and a pair with a refresh token in the [`TokenVault`], where the engine
//! finds it, renews it before `expireIn` runs out and keeps each new pair.

use std::sync::Arc;

use meituan_api::im::GetPoiImStatus;
use meituan_api::{
    ApiError, ClientConfig, DeveloperCredentials, MeituanClient, Secret, StoreKey, StoreToken,
};

use meituan_wire::BusinessId;

use crate::config::{DeskConfig, SecretStore};
use crate::credentials::{save_credentials, CredentialsError, CredentialsForm, SecretSink};
use crate::team_settings::TeamKeyring;
use crate::token_vault::TokenVault;

/// One store authorised and checked: the token to keep (never printed).
pub struct Authorised {
    key: StoreKey,
    token: StoreToken,
}

impl std::fmt::Debug for Authorised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorised")
            .field("store", &self.key.to_string())
            .finish_non_exhaustive()
    }
}

fn invalid(reason: String) -> CredentialsError {
    CredentialsError::Invalid(reason)
}

/// A refusal's reason in the agent's terms, without a secret of the client's.
fn reason(client: &MeituanClient, e: &ApiError) -> String {
    let text = match e {
        ApiError::Platform { code, msg, .. } => format!("{msg} ({code})"),
        ApiError::OAuth { code, msg, .. } => format!("{msg} ({code})"),
        ApiError::Transport { .. } => format!("the platform could not be reached: {e}"),
        _ => e.to_string(),
    };
    client.redact(&text)
}

/// Whether the platform refused the developer's own credentials (id or signKey), which no
/// store token can cure.
fn developer_refused(e: &ApiError) -> bool {
    e.meaning() == Some(meituan_api::CodeMeaning::CredentialsInvalid)
}

/// Authorises each store of `form` whose token or authorisation code was entered, against the
/// gateway of `config` (its URL and platform codes), then checks each token with a harmless
/// read. The developerId and signKey are the form's, or the stored signKey when the form
/// leaves it blank; a new signKey with no new store is checked with the first stored token.
/// Nothing is written; the first refusal names its store (or the developer credentials).
pub async fn authorise(
    form: &CredentialsForm,
    config: &DeskConfig,
    stored: &(dyn SecretStore + Sync),
) -> Result<Vec<Authorised>, CredentialsError> {
    let developer_id = crate::credentials::check(form, stored)?;
    let entered: Vec<_> = form
        .stores
        .iter()
        .filter(|s| !s.app_auth_token.trim().is_empty() || !s.auth_code.trim().is_empty())
        .collect();
    // Only a kept signKey and kept tokens: nothing new to check.
    if entered.is_empty() && form.sign_key.trim().is_empty() {
        return Ok(Vec::new());
    }
    let sign_key = match form.sign_key.trim() {
        "" => stored
            .sign_key(developer_id)
            .ok_or_else(|| invalid("signKey is empty".into()))?,
        key => Secret::new(key),
    };
    let client_config = ClientConfig {
        codes: config.platform_codes.table.clone(),
        ..ClientConfig::with_base_url(config.gateway_url.clone())
    };
    let client = MeituanClient::new(
        DeveloperCredentials::new(developer_id, sign_key),
        client_config,
    )
    .map_err(|e| invalid(format!("the gateway address: {e}")))?;
    let mut authorised = Vec::with_capacity(entered.len());
    for s in entered {
        let id = s.epoi_id.trim();
        let business = BusinessId::from_code(i64::from(s.business_id))
            .map_err(|_| invalid(format!("store {id}: businessId must be 2 or 16")))?;
        let key = StoreKey::new(id, business);
        let (token, code) = (s.app_auth_token.trim(), s.auth_code.trim());
        let token = match (token.is_empty(), code.is_empty()) {
            (false, false) => {
                return Err(invalid(format!(
                    "store {id}: enter a token or an authorisation code, not both"
                )))
            }
            (true, false) => {
                let grant = client.exchange_code(&key, code).await.map_err(|e| {
                    invalid(format!(
                        "store {id}: the authorisation code was refused: {}",
                        reason(&client, &e)
                    ))
                })?;
                grant.token
            }
            _ => {
                let token = StoreToken::static_token(Secret::new(token));
                client.set_token(key.clone(), token.clone());
                token
            }
        };
        if let Err(e) = client.call(&key, &GetPoiImStatus).await {
            return Err(refused(&client, id, &e));
        }
        authorised.push(Authorised { key, token });
    }
    // A new signKey for kept stores: one harmless read with a kept token says whether it works.
    if authorised.is_empty() {
        let kept = form.stores.iter().find_map(|s| {
            let id = s.epoi_id.trim();
            let token = stored.store_token(id, s.business_id)?;
            let business = BusinessId::from_code(i64::from(s.business_id)).ok()?;
            Some((id, StoreKey::new(id, business), token))
        });
        if let Some((id, key, token)) = kept {
            client.set_token(key.clone(), StoreToken::static_token(token));
            if let Err(e) = client.call(&key, &GetPoiImStatus).await {
                return Err(refused(&client, id, &e));
            }
        }
    }
    Ok(authorised)
}

/// A failed check in the agent's terms: the developer's credentials, or the store's token.
fn refused(client: &MeituanClient, id: &str, e: &ApiError) -> CredentialsError {
    if developer_refused(e) {
        invalid(format!(
            "the developerId or signKey was refused: {}",
            reason(client, e)
        ))
    } else {
        invalid(format!(
            "store {id}: the token does not work: {}",
            reason(client, e)
        ))
    }
}

/// Saves the form with the tokens [`authorise`] checked: each pair that can be renewed goes to
/// the token vault first, then the secrets and the file as [`save_credentials`] writes them
/// (an authorised store's token replaces what was typed, and its code is not kept).
pub fn save_authorised<K>(
    form: &CredentialsForm,
    authorised: &[Authorised],
    path: &std::path::Path,
    keyring: Arc<K>,
) -> Result<DeskConfig, CredentialsError>
where
    K: SecretSink + SecretStore + TeamKeyring + Send + Sync + 'static,
{
    let mut form = form.clone();
    let vault = TokenVault::new(keyring.clone());
    for a in authorised {
        if let Some(entry) = form.stores.iter_mut().find(|s| {
            s.epoi_id.trim() == a.key.store.as_str()
                && i32::from(s.business_id) == a.key.business_id.code()
        }) {
            entry.app_auth_token = a.token.access_token.expose().to_owned();
            entry.auth_code.clear();
        }
        if a.token.refresh_token.is_some() {
            vault
                .keep(&a.key, &a.token)
                .map_err(|reason| CredentialsError::Keyring {
                    what: format!("token pair of store {}", a.key.store),
                    reason,
                })?;
        }
    }
    let before = crate::credentials::stored_credentials(path, keyring.as_ref());
    let config = save_credentials(&form, path, keyring.as_ref())?;
    // A store taken off the list leaves nothing behind: its token and kept pair are removed.
    for gone in before.stores.iter().filter(|old| {
        !config
            .stores
            .iter()
            .any(|s| s.epoi_id == old.epoi_id && s.business_id == old.business_id)
    }) {
        for name in crate::credentials::store_entries(&gone.epoi_id, gone.business_id) {
            if let Err(e) = keyring.delete(&name) {
                tracing::warn!(store = %gone.epoi_id, "a removed store's token stays in the keyring: {e}");
            }
        }
    }
    Ok(config)
}
