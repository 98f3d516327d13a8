//! Pictures: sending one into a chat, and blocking a customer with evidence pictures.
//!
//! Both rest on the platform's image upload, which only businessId 16 has (\[INF\], see
//! `meituan_api::image`). A picture to send is staged durably in [`crate::attachments`] and
//! queued in the outbox with a `local:` reference before anything leaves the machine; the
//! outbox worker uploads it, stores the platform's reference in the item (same msg_id), then
//! sends it like text. Blocking is a direct platform action the agent
//! waits for: evidence uploads, then `blockUser`, then the local mirror.

use base64::Engine as _;
use imdesk_store::{Conversation, NewOutboxMessage};
use meituan_api::im::{BlockCode, BlockUser, CancelBlockUser};
use meituan_api::image::{self, ImageFormat, UploadImage, MAX_IMAGE_BYTES};
use meituan_wire::OpenUserId;

use crate::attachments::local_reference;
use crate::convert::outbox_message;
use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::registry::StoreEntry;
use crate::view::{BlockReason, BlockRequest, ChatMessage, PictureFile};

/// Most evidence pictures `blockUser` takes.
const MAX_EVIDENCE: usize = 9;

/// The bytes of a picture from the UI, checked as the upload will check them.
fn decode(file: &PictureFile) -> DeskResult<(Vec<u8>, ImageFormat)> {
    // Refuse oversized text before decoding it.
    if file.data_base64.len() > MAX_IMAGE_BYTES.div_ceil(3) * 4 + 4 {
        return Err(DeskError::BadImage(format!(
            "{} is larger than {} MiB",
            file.name,
            MAX_IMAGE_BYTES / (1024 * 1024)
        )));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file.data_base64.trim())
        .map_err(|_| DeskError::Invalid(format!("{} is not valid base64", file.name)))?;
    // The upload's own checks (non-empty, size, PNG or JPEG by content) decide.
    let format = image::check_bytes(&bytes).map_err(|e| DeskError::BadImage(e.to_string()))?;
    Ok((bytes, format))
}

/// The customer of a two-party chat (the only chats where blocking applies).
fn customer_of(conv: &Conversation, conversation_id: &str) -> DeskResult<i64> {
    match (conv.key.biz_type, conv.open_user_id) {
        (1, Some(user)) => Ok(user),
        _ => Err(DeskError::Invalid(format!(
            "{conversation_id} is not a two-party chat with a customer"
        ))),
    }
}

impl Desk {
    /// The chat's composer and the store rail's blocked filter changed.
    fn block_changed(&self, conversation_id: &str) {
        self.notices.conversations(vec![conversation_id.to_owned()]);
        self.notices.stores();
    }

    /// How this desk blocks: with its own platform link (`None`), or a team desk's supervisor
    /// through a relay. An agent on a team desk does not block (the supervisor decides).
    pub(crate) fn team_blocker(&self) -> DeskResult<Option<&crate::team::mirror::TeamLink>> {
        match (&self.meituan, &self.team) {
            (Some(_), _) => Ok(None),
            (None, Some(team)) if self.me().is_some_and(|(_, supervisor)| supervisor) => {
                Ok(Some(team))
            }
            (None, Some(_)) => Err(DeskError::Invalid(
                "on a team desk only a supervisor blocks or unblocks customers".into(),
            )),
            (None, None) => Err(DeskError::NoCredentials),
        }
    }

    fn uploads_for(&self, store: &str) -> DeskResult<StoreEntry> {
        let entry = self
            .stores
            .entry(store)
            .ok_or_else(|| DeskError::not_found("store", store))?;
        if !image::can_upload(entry.key.business_id) {
            return Err(DeskError::Unsupported {
                store: store.to_owned(),
                what: "its integration (businessId 2) has no image upload".into(),
            });
        }
        Ok(entry)
    }

    /// Queues a picture for a conversation: staged on disk and written to the outbox (durable
    /// before this returns), then uploaded and sent by the outbox worker. Refused like text
    /// (blocked customer, closed after-sale window), and for pictures that are not PNG or
    /// JPEG or larger than the limit, or in a store without image upload.
    pub async fn send_image(
        &self,
        conversation_id: &str,
        file: PictureFile,
    ) -> DeskResult<ChatMessage> {
        let conv = self.conversation_for_send(conversation_id).await?;
        self.uploads_for(&conv.key.store)?;
        let (bytes, format) = decode(&file)?;
        let attachments = self.attachments.clone();
        let key = format!("{}-{}", conv.id, self.now());
        let name = tokio::task::spawn_blocking(move || attachments.stage(&key, format, &bytes))
            .await
            .map_err(|_| DeskError::Stopped)??;
        let queued = self
            .store
            .enqueue_outbox_async(NewOutboxMessage {
                conversation_id: conv.id,
                msg_id: None,
                msg_type: 2,
                text: local_reference(&name),
                now_ms: self.now(),
            })
            .await;
        let item = match queued {
            Ok(item) => item,
            Err(e) => {
                self.attachments.remove(&name);
                return Err(e.into());
            }
        };
        self.outbox.wake();
        self.notices.conversations(vec![conversation_id.to_owned()]);
        Ok(outbox_message(&item))
    }

    /// Blocks the customer of a two-party conversation on the platform, with the reason and
    /// 1 to 9 evidence pictures, then mirrors it locally (the composer closes, the chat moves
    /// to the blocked filter). On a team desk a supervisor blocks through a relay
    /// ([`crate::team::blocks`]), which tells every desk.
    pub async fn block_customer(
        &self,
        conversation_id: &str,
        request: BlockRequest,
    ) -> DeskResult<()> {
        let conv = self.conversation_by_id(conversation_id).await?;
        let user = customer_of(&conv, conversation_id)?;
        let team = self.team_blocker()?;
        self.uploads_for(&conv.key.store)?;
        let description = request
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned);
        if request.reason == BlockReason::Other && description.is_none() {
            return Err(DeskError::Invalid(
                "a reason \"other\" needs a description".into(),
            ));
        }
        if !(1..=MAX_EVIDENCE).contains(&request.evidence.len()) {
            return Err(DeskError::Invalid(format!(
                "blocking needs 1 to {MAX_EVIDENCE} evidence pictures, got {}",
                request.evidence.len()
            )));
        }
        let evidence = request
            .evidence
            .iter()
            .map(|f| decode(f).map(|(bytes, _)| bytes))
            .collect::<DeskResult<Vec<_>>>()?;
        let block = Block {
            store: conv.key.store.clone(),
            user,
            reason: request.reason,
            description,
        };
        match team {
            Some(link) => {
                link.block(&block, evidence).await?;
                // At once here; the other desks (and this one again) from the relay's bucket.
                self.record_block(&block).await?;
            }
            None => self.block_on_platform(&block, evidence).await?,
        }
        self.block_changed(conversation_id);
        Ok(())
    }

    /// Blocks on the platform with this desk's link (a solo desk, or a relay for a team's
    /// supervisor) and records it locally.
    pub(crate) async fn block_on_platform(
        &self,
        block: &Block,
        evidence: Vec<Vec<u8>>,
    ) -> DeskResult<()> {
        let platform = self.meituan.as_ref().ok_or(DeskError::NoCredentials)?;
        let entry = self.uploads_for(&block.store)?;
        let uploads = evidence
            .iter()
            .map(|bytes| {
                UploadImage::from_bytes(bytes).map_err(|e| DeskError::BadImage(e.to_string()))
            })
            .collect::<DeskResult<Vec<_>>>()?;
        let mut pic_ids = Vec::with_capacity(uploads.len());
        for upload in &uploads {
            let uploaded = platform.client.call(&entry.key, upload).await?;
            pic_ids.push(image::voucher_pic_id(&uploaded));
        }
        let block_code = match block.reason {
            BlockReason::Harassment => BlockCode::Harassment,
            BlockReason::WechatFraud => BlockCode::SuspectedFraud,
            BlockReason::Other => BlockCode::Other,
        };
        platform
            .client
            .call(
                &entry.key,
                &BlockUser {
                    open_user_id: OpenUserId(block.user),
                    block_code,
                    block_reason_desc: block.description.clone(),
                    voucher_pic_ids: pic_ids,
                },
            )
            .await?;
        self.record_block(block).await
    }

    /// The block in this desk's `blocked` table.
    async fn record_block(&self, block: &Block) -> DeskResult<()> {
        self.store
            .block_customer_async(
                block.store.clone(),
                block.user,
                block.reason_text(),
                self.now(),
            )
            .await?;
        Ok(())
    }

    /// Lifts a block on the platform (`cancelBlockUser`), then locally; on a team desk a
    /// supervisor lifts it through a relay.
    pub async fn unblock_customer(&self, conversation_id: &str) -> DeskResult<()> {
        let conv = self.conversation_by_id(conversation_id).await?;
        let user = customer_of(&conv, conversation_id)?;
        match self.team_blocker()? {
            Some(link) => {
                link.unblock(&conv.key.store, user).await?;
                self.store
                    .unblock_customer_async(conv.key.store.clone(), user)
                    .await?;
            }
            None => self.unblock_on_platform(&conv.key.store, user).await?,
        }
        self.block_changed(conversation_id);
        Ok(())
    }

    /// Lifts a block with this desk's link and records it locally.
    pub(crate) async fn unblock_on_platform(&self, store: &str, user: i64) -> DeskResult<()> {
        let entry = self
            .stores
            .entry(store)
            .ok_or_else(|| DeskError::not_found("store", store))?;
        let platform = self.meituan.as_ref().ok_or(DeskError::NoCredentials)?;
        platform
            .client
            .call(
                &entry.key,
                &CancelBlockUser {
                    open_user_ids: vec![OpenUserId(user)],
                },
            )
            .await?;
        self.store
            .unblock_customer_async(store.to_owned(), user)
            .await?;
        Ok(())
    }
}

/// A block to make: a store's customer, the reason and its description.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Block {
    pub store: String,
    pub user: i64,
    pub reason: BlockReason,
    pub description: Option<String>,
}

impl Block {
    /// What the local record keeps as the reason.
    pub(crate) fn reason_text(&self) -> String {
        self.description
            .clone()
            .unwrap_or_else(|| format!("{:?}", self.reason))
    }
}
