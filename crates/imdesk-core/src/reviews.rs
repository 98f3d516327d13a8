//! Review contact (评价联系, protocol §4.10 and §5.4): a store's recent reviews from the
//! comment list, and a review-contact group started on one of them with `createGroup`, which
//! then sits in the inbox as a biz_type 4 conversation the agent writes in.
//!
//! The platform grants review contact as a right (code 1 of `getReversionRateAndRightsList`,
//! kept by the 5-minute reply rate). Before a group is created the desk reads the store's
//! rights afresh (and records them, as the rates poller does): a store without the right is
//! refused with a message naming it, and nothing is created on either side. A review that
//! already has a contact conversation opens it again instead of creating another.

use meituan_api::context::{Comment, CommentList};
use meituan_api::im::{CreateGroup, GetReversionRateAndRightsList, ReversionRate, Right};
use meituan_wire::CommentId;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::convert::conversation_id;
use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::platform::{record_poll, RightState};
use crate::port::MeituanLink;
use crate::registry::StoreEntry;
use crate::store_admin::{at_store, store_label};
use crate::view::{ConversationId, IpcError};

/// The platform's code of the review-contact right.
pub const REVIEW_CONTACT_RIGHT: i32 = 1;
/// Days of reviews the page lists unless asked otherwise.
pub const REVIEW_DAYS_DEFAULT: u32 = 30;
/// The most days the page asks the platform for.
pub const REVIEW_DAYS_MAX: u32 = 90;
/// Reviews one page lists (one comment-list call).
const REVIEW_PAGE: i32 = 50;

/// One review as the review page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReviewItem {
    /// The review id (a 64-bit id, as a string).
    pub comment_id: String,
    /// When it was written (UTC ms), when the platform said.
    pub time: Option<i64>,
    /// What the customer wrote.
    pub text: String,
    /// The merchant star rating (1–5).
    pub score: Option<i32>,
    /// The merchant has replied publicly.
    pub replied: bool,
    /// The public reply.
    pub reply: Option<String>,
    /// The desk's review-contact conversation about it, when one was started.
    pub conversation_id: Option<ConversationId>,
}

/// A store's recent reviews and whether it may start a review contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreReviews {
    /// The ePoiId.
    pub epoi_id: String,
    /// Display name.
    pub name: String,
    /// The review-contact right: unlocked, temporary (at risk) or not held.
    pub contact_right: Option<RightState>,
    /// Why the rights could not be read (then `contact_right` is `None`).
    pub right_error: Option<IpcError>,
    /// Days listed, ending now.
    pub days: u32,
    /// Newest first.
    pub reviews: Vec<ReviewItem>,
}

/// A review contact started (or found).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReviewContact {
    /// The conversation in the inbox.
    pub conversation_id: ConversationId,
    /// The platform's group id.
    pub group_id: String,
    /// `false`: the review already had a contact group, which is opened instead.
    pub created: bool,
}

/// The review-contact right in what the platform answered.
fn contact_right(rate: &ReversionRate) -> RightState {
    let is_contact = |r: &Right| {
        r.code.as_deref().and_then(|c| c.trim().parse::<i32>().ok()) == Some(REVIEW_CONTACT_RIGHT)
    };
    if rate.rights_list.iter().any(is_contact) {
        RightState::Unlocked
    } else if rate.temp_rights_list.iter().any(is_contact) {
        RightState::AtRisk
    } else {
        RightState::Locked
    }
}

/// A platform time: 10-digit seconds, 13-digit ms, or `YYYY-MM-DD HH:MM:SS` local time
/// (the format is not documented, §7 question 10).
fn review_time(text: Option<&str>, utc_offset_secs: i32) -> Option<i64> {
    let text = text?.trim();
    if let Ok(n) = text.parse::<i64>() {
        return match n {
            n if n <= 0 => None,
            n if n < 100_000_000_000 => Some(n * 1000),
            n => Some(n),
        };
    }
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
    Some(local.and_utc().timestamp_millis() - i64::from(utc_offset_secs) * 1000)
}

/// A review id from the UI: digits.
fn parse_comment_id(comment_id: &str) -> DeskResult<CommentId> {
    comment_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|&n| n > 0)
        .map(CommentId)
        .ok_or_else(|| DeskError::Invalid(format!("comment_id {comment_id:?} is not a review id")))
}

impl Desk {
    /// Reads the store's rights now and records them beside the rates history.
    async fn read_rights(
        &self,
        link: &MeituanLink,
        epoi_id: &str,
        entry: &StoreEntry,
    ) -> DeskResult<ReversionRate> {
        let rate = link
            .client
            .call(&entry.key, &GetReversionRateAndRightsList)
            .await
            .map_err(|e| at_store(epoi_id, entry, e))?;
        record_poll(&self.store, &self.opts, epoi_id, &rate, self.now()).await?;
        Ok(rate)
    }

    /// The store's reviews of the last `days` days (30 unless given, at most 90), newest
    /// first, with the review-contact right read afresh and each review's contact
    /// conversation when the desk has one.
    pub async fn store_reviews(
        &self,
        epoi_id: &str,
        days: Option<u32>,
    ) -> DeskResult<StoreReviews> {
        let (link, entry) = self.admin_target(epoi_id)?;
        let days = days.unwrap_or(REVIEW_DAYS_DEFAULT);
        if !(1..=REVIEW_DAYS_MAX).contains(&days) {
            return Err(DeskError::Invalid(format!(
                "days must be 1 to {REVIEW_DAYS_MAX}, not {days}"
            )));
        }
        let now_s = self.now() / 1000;
        let list: Vec<Comment> = link
            .client
            .call(
                &entry.key,
                &CommentList {
                    start_time: (now_s - i64::from(days) * 86_400).to_string(),
                    end_time: now_s.to_string(),
                    offset: 0,
                    limit: REVIEW_PAGE,
                    reply_status: None,
                    biz_key: None,
                },
            )
            .await
            .map_err(|e| at_store(epoi_id, &entry, e))?;
        let (contact_right, right_error) = match self.read_rights(link, epoi_id, &entry).await {
            Ok(rate) => (Some(contact_right(&rate)), None),
            Err(e) => (None, Some(IpcError::from(e))),
        };
        let mut reviews = Vec::with_capacity(list.len());
        for c in list {
            let conversation = self
                .store
                .review_contact_of_async(epoi_id.to_owned(), c.comment_id.0)
                .await?;
            reviews.push(ReviewItem {
                comment_id: c.comment_id.0.to_string(),
                time: review_time(c.comment_time.as_deref(), self.opts.utc_offset_secs),
                text: c.comment_content.unwrap_or_default(),
                score: c.food_comment_score,
                replied: c.reply_status == Some(1),
                reply: c.e_reply_content.filter(|r| !r.trim().is_empty()),
                conversation_id: conversation.map(|conv| conversation_id(&conv.key)),
            });
        }
        reviews.sort_by_key(|r| std::cmp::Reverse(r.time));
        Ok(StoreReviews {
            epoi_id: epoi_id.to_owned(),
            name: entry.name,
            contact_right,
            right_error,
            days,
            reviews,
        })
    }

    /// Starts a review contact on a review: checks the store holds the right (read afresh),
    /// creates the platform's group and puts its conversation in the inbox. A review already
    /// contacted opens its conversation again (`created: false`) without a platform call.
    pub async fn start_review_contact(
        &self,
        epoi_id: &str,
        comment_id: &str,
    ) -> DeskResult<ReviewContact> {
        let (link, entry) = self.admin_target(epoi_id)?;
        let comment = parse_comment_id(comment_id)?;
        if let Some(conv) = self
            .store
            .review_contact_of_async(epoi_id.to_owned(), comment.0)
            .await?
        {
            return Ok(ReviewContact {
                conversation_id: conversation_id(&conv.key),
                group_id: conv.key.peer_id.to_string(),
                created: false,
            });
        }
        let rate = self.read_rights(link, epoi_id, &entry).await?;
        if contact_right(&rate) == RightState::Locked {
            return Err(DeskError::RightLocked {
                store: store_label(epoi_id, &entry),
                right: "review contact (评价联系, rights code 1) is not unlocked: the 5-minute \
                        reply rate is below its target"
                    .into(),
            });
        }
        let group = link
            .client
            .call(&entry.key, &CreateGroup::review_contact(comment))
            .await
            .map_err(|e| at_store(epoi_id, &entry, e))?;
        let conv = self
            .store
            .open_review_contact_async(epoi_id.to_owned(), group.group_id.0, comment.0, self.now())
            .await?;
        let id = conversation_id(&conv.key);
        tracing::info!(store = %epoi_id, comment = comment.0, group = group.group_id.0, "review contact started");
        self.notices.conversations(vec![id.clone()]);
        self.notices.stores();
        Ok(ReviewContact {
            conversation_id: id,
            group_id: group.group_id.0.to_string(),
            // Another desk may have created it a moment ago: the platform then answers with
            // the same group and says it is not new.
            created: !matches!(
                group.new_group.as_deref().map(str::trim),
                Some("false" | "0")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_times_in_every_shape_the_platform_may_send() {
        assert_eq!(review_time(Some("1700000000"), 0), Some(1_700_000_000_000));
        assert_eq!(
            review_time(Some("1700000000123"), 0),
            Some(1_700_000_000_123)
        );
        assert_eq!(
            review_time(Some("2023-11-15 06:13:20"), 8 * 3600),
            Some(1_700_000_000_000)
        );
        assert_eq!(review_time(Some("yesterday"), 0), None);
        assert_eq!(review_time(Some("0"), 0), None);
        assert_eq!(review_time(None, 0), None);
    }

    #[test]
    fn a_review_id_is_digits() {
        assert_eq!(parse_comment_id(" 42 ").unwrap().0, 42);
        assert!(
            matches!(parse_comment_id("4x"), Err(DeskError::Invalid(m)) if m.contains("comment_id"))
        );
        assert!(parse_comment_id("-1").is_err());
    }
}
