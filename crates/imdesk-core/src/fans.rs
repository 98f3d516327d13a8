//! Fans groups and coupons (粉丝群, protocol §4.13): whether a store may build a fans group,
//! its groups, their join-group coupon activities, the coupons sent in them and the coupons
//! left this month; creating a group, starting a join-group coupon and sending a coupon.
//!
//! These spend the brand's money, so only a supervisor may change them (in solo mode the desk's
//! one user is the supervisor), and the window asks for confirmation first. Every form is
//! checked whole before the platform is called, with an error naming the field; the platform's
//! own gates (`queryStoreHaveBuild`, the monthly quota of `remainCoupon`) are read just before,
//! and a duplicate (a group with the same introduction, a second running join-group coupon) is
//! refused, so that nothing is created half or twice. The platform's create calls are not
//! idempotent and the client does not retry them blindly.
//!
//! The list endpoints are modelled by the SDK as single objects with paging fields (§4.13,
//! \[INF\]): they are read one item per page until an empty answer, a bounded number of times.

use meituan_api::im::{
    Coupon, CreateEnterCouponActivity, CreateFansGroup, EnterCoupon, EnterCouponActivity,
    FansGroup, QueryCoupon, QueryEnterCouponActivity, QueryStoreFansGroup, QueryStoreHaveBuild,
    RemainCoupon, SendFansGroupCoupon,
};
use meituan_wire::GroupId;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::port::MeituanLink;
use crate::registry::StoreEntry;
use crate::store_admin::{at_store, store_label};

/// The most items of one list read (groups, activities, coupons).
const LIST_MAX: i32 = 50;
/// The longest a coupon may stay valid after it is claimed, or an activity run, in days.
pub const COUPON_DAYS_MAX: i32 = 365;
/// Coupons one send may issue (§4.13: 1 to 9999).
pub const COUPON_COUNT_MAX: i32 = 9999;

/// A fans group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FansGroupInfo {
    /// The platform's group id (a 64-bit id, as a string).
    pub group_id: String,
    /// Its name (the platform names it).
    pub name: String,
    /// Members, when said.
    pub members: Option<i32>,
    /// Invitation text.
    pub intro: String,
    /// Announcement.
    pub announce: String,
    /// Customers can find the entrance.
    pub entrance_open: bool,
    /// The group is open (not closed).
    pub open: bool,
}

/// A join-group coupon activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JoinCouponActivity {
    /// Activity id.
    pub activity_id: String,
    /// Discount, yuan.
    pub price: Option<i32>,
    /// Threshold, yuan.
    pub limit_price: Option<i32>,
    /// Days valid.
    pub validity_days: Option<i32>,
    /// Still running.
    pub running: bool,
    /// Started (UTC ms).
    pub created_at: Option<i64>,
    /// Ended (UTC ms).
    pub ended_at: Option<i64>,
}

/// A coupon's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum CouponStatus {
    /// Being created.
    Processing,
    /// Customers can claim it.
    Running,
    /// Its activity ended.
    Ended,
    /// Stopped.
    Stopped,
    /// A state this build does not know.
    Unknown,
}

/// A coupon sent in a fans group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FansCoupon {
    /// The coupon configuration id.
    pub coupon_config_id: String,
    /// Its name.
    pub name: String,
    /// Discount, as the platform wrote it (yuan).
    pub price: Option<String>,
    /// Threshold, as the platform wrote it (yuan).
    pub limit_price: Option<String>,
    /// Its state.
    pub status: CouponStatus,
    /// Created (UTC ms).
    pub created_at: Option<i64>,
    /// The activity ends (UTC ms).
    pub ends_at: Option<i64>,
    /// Coupons left to claim.
    pub remain: Option<i64>,
}

/// A store's fans page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreFans {
    /// The ePoiId.
    pub epoi_id: String,
    /// Display name.
    pub name: String,
    /// The platform lets the store build a (another) fans group.
    pub can_build: bool,
    /// This desk's user may create and send (a supervisor).
    pub can_manage: bool,
    /// The store's fans groups.
    pub groups: Vec<FansGroupInfo>,
    /// Join-group coupon activities, running and ended.
    pub activities: Vec<JoinCouponActivity>,
    /// Coupons sent in the groups.
    pub coupons: Vec<FansCoupon>,
    /// Coupon sends left this month (of the first group), when there is a group.
    pub remaining_coupons: Option<i32>,
}

/// A join-group coupon: what a customer gets for joining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JoinCouponForm {
    /// Discount, yuan.
    pub price: i32,
    /// Threshold, yuan (more than the discount).
    pub limit_price: i32,
    /// Days valid.
    pub validity_days: i32,
}

/// A new fans group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewFansGroup {
    /// Invitation text (`groupIntro`).
    pub intro: String,
    /// Welcome text (`groupWelcomeMsg`).
    pub welcome: String,
    /// A join-group coupon, if any.
    pub join_coupon: Option<JoinCouponForm>,
}

/// A store discount coupon to send in a fans group (`sendFansGroupCoupon`, actType 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FansCouponForm {
    /// The fans group.
    pub group_id: String,
    /// How many coupons (1 to 9999).
    pub count: i32,
    /// Discount, yuan (3 to 50 % of the threshold).
    pub price: i32,
    /// Threshold, yuan.
    pub limit_price: i32,
    /// Days a claimed coupon stays valid.
    pub claim_valid_days: i32,
    /// When the activity ends (UTC ms); must lie ahead.
    pub activity_ends_at: i64,
}

/// A coupon sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SentFansCoupon {
    /// The coupon configuration id.
    pub coupon_config_id: String,
    /// Coupon sends left this month afterwards.
    pub remaining_coupons: Option<i32>,
}

fn invalid(field: &str, why: &str) -> DeskError {
    DeskError::Invalid(format!("{field}: {why}"))
}

/// Text the platform requires (`Y` in §4.13), trimmed.
fn required_text(field: &str, text: &str) -> DeskResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    Ok(text.to_owned())
}

fn check_join_coupon(c: &JoinCouponForm) -> DeskResult<()> {
    if c.price < 1 {
        return Err(invalid("joinCoupon.price", "must be at least 1 yuan"));
    }
    if c.limit_price <= c.price {
        return Err(invalid(
            "joinCoupon.limitPrice",
            "the threshold must be more than the discount",
        ));
    }
    if !(1..=COUPON_DAYS_MAX).contains(&c.validity_days) {
        return Err(invalid(
            "joinCoupon.validityDays",
            &format!("must be 1 to {COUPON_DAYS_MAX} days"),
        ));
    }
    Ok(())
}

/// The coupon send as the platform takes it, or the first field that is wrong.
fn coupon_request(form: &FansCouponForm, now: i64) -> DeskResult<SendFansGroupCoupon> {
    let group_id = parse_group_id(&form.group_id)?;
    if !(1..=COUPON_COUNT_MAX).contains(&form.count) {
        return Err(invalid(
            "count",
            &format!("must be 1 to {COUPON_COUNT_MAX}"),
        ));
    }
    if form.limit_price < 1 {
        return Err(invalid("limitPrice", "must be at least 1 yuan"));
    }
    let (price, limit) = (i64::from(form.price), i64::from(form.limit_price));
    if price * 100 < limit * 3 || price * 100 > limit * 50 {
        return Err(invalid(
            "price",
            "the discount must be 3 to 50 % of the threshold",
        ));
    }
    if !(1..=COUPON_DAYS_MAX).contains(&form.claim_valid_days) {
        return Err(invalid(
            "claimValidDays",
            &format!("must be 1 to {COUPON_DAYS_MAX} days"),
        ));
    }
    let runs_ms = form.activity_ends_at - now;
    if runs_ms <= 0 {
        return Err(DeskError::InPast {
            field: "activityEndsAt".into(),
        });
    }
    let runs_s = runs_ms / 1000;
    if runs_s < 60 || runs_s > i64::from(COUPON_DAYS_MAX) * 86_400 {
        return Err(invalid(
            "activityEndsAt",
            &format!("the activity must run at least a minute and at most {COUPON_DAYS_MAX} days"),
        ));
    }
    Ok(SendFansGroupCoupon {
        group_id,
        valid_time: form.claim_valid_days * 86_400,
        count: form.count,
        act_type: 1,
        activity_valid_time: i32::try_from(runs_s)
            .map_err(|_| invalid("activityEndsAt", "too far ahead"))?,
        limit_price: Some(form.limit_price),
        price: Some(form.price),
        app_food_code: None,
        spu_id: None,
        discount: None,
    })
}

fn parse_group_id(group_id: &str) -> DeskResult<GroupId> {
    group_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|&n| n > 0)
        .map(GroupId)
        .ok_or_else(|| invalid("groupId", "is not a group id"))
}

/// Seconds (or ms) from the platform as UTC ms; 0 and garbage are `None`.
fn platform_ms(seconds: Option<i64>) -> Option<i64> {
    match seconds? {
        s if s <= 0 => None,
        s if s < 100_000_000_000 => Some(s * 1000),
        ms => Some(ms),
    }
}

fn group_info(g: FansGroup) -> Option<FansGroupInfo> {
    Some(FansGroupInfo {
        group_id: g.group_id?.0.to_string(),
        name: g.group_name.unwrap_or_default(),
        members: g.member_count,
        intro: g.group_intro.unwrap_or_default(),
        announce: g.group_announce.unwrap_or_default(),
        entrance_open: g.group_entrance != Some(1),
        open: g.status != Some(2),
    })
}

fn activity_info(a: &EnterCouponActivity) -> Option<JoinCouponActivity> {
    Some(JoinCouponActivity {
        activity_id: a.activity_id?.to_string(),
        price: a.price,
        limit_price: a.limit_price,
        validity_days: a.validity,
        running: a.valid == Some(1),
        created_at: platform_ms(a.c_time),
        ended_at: platform_ms(a.end_time),
    })
}

fn coupon_info(c: Coupon) -> Option<FansCoupon> {
    let ms = |t: Option<&str>| platform_ms(t.and_then(|t| t.trim().parse::<i64>().ok()));
    Some(FansCoupon {
        created_at: ms(c.create_time.as_deref()),
        ends_at: ms(c.end_time.as_deref()),
        coupon_config_id: c.coupon_config_id?,
        name: c.coupon_name.unwrap_or_default(),
        price: c.price,
        limit_price: c.limit_price,
        status: match c.status {
            Some(0) => CouponStatus::Processing,
            Some(1) => CouponStatus::Running,
            Some(2) => CouponStatus::Ended,
            Some(3) => CouponStatus::Stopped,
            _ => CouponStatus::Unknown,
        },
        remain: c.remain,
    })
}

/// What one store's fans calls need.
struct Target<'a> {
    link: &'a MeituanLink,
    entry: StoreEntry,
    epoi_id: &'a str,
}

impl Target<'_> {
    fn fail(&self, e: meituan_api::ApiError) -> DeskError {
        at_store(self.epoi_id, &self.entry, e)
    }

    async fn can_build(&self) -> DeskResult<bool> {
        let answer = self
            .link
            .client
            .call(&self.entry.key, &QueryStoreHaveBuild)
            .await;
        Ok(answer.map_err(|e| self.fail(e))?.status)
    }

    async fn groups(&self) -> DeskResult<Vec<FansGroupInfo>> {
        let mut out = Vec::new();
        for page in 1..=LIST_MAX {
            let query = QueryStoreFansGroup { page, page_size: 1 };
            let answer = self.link.client.call(&self.entry.key, &query).await;
            let items = answer.map_err(|e| self.fail(e))?.0;
            let many = items.len() > 1;
            let before = out.len();
            out.extend(items.into_iter().filter_map(group_info));
            // A list answer holds them all; an empty object is past the last page.
            if many || out.len() == before {
                break;
            }
        }
        Ok(out)
    }

    async fn activities(&self) -> DeskResult<Vec<JoinCouponActivity>> {
        let mut out = Vec::new();
        let mut index = 0;
        for _ in 0..LIST_MAX {
            let query = QueryEnterCouponActivity {
                index,
                size: 2,
                status: None,
            };
            let answer = self.link.client.call(&self.entry.key, &query).await;
            let items = answer.map_err(|e| self.fail(e))?.0;
            let more = items.last().and_then(|a| a.has_more) == Some(true);
            let next = items.last().and_then(|a| a.index);
            out.extend(items.iter().filter_map(activity_info));
            match next {
                Some(n) if more && n > index => index = n,
                _ => break,
            }
        }
        Ok(out)
    }

    async fn coupons(&self) -> DeskResult<Vec<FansCoupon>> {
        let mut out = Vec::new();
        for page in 1..=LIST_MAX {
            let query = QueryCoupon { page, page_size: 1 };
            let answer = self.link.client.call(&self.entry.key, &query).await;
            let items = answer.map_err(|e| self.fail(e))?.0;
            let many = items.len() > 1;
            let total = items.first().and_then(|c| c.total);
            let before = out.len();
            out.extend(items.into_iter().filter_map(coupon_info));
            let done = total.is_some_and(|t| out.len() as i64 >= t);
            if many || done || out.len() == before {
                break;
            }
        }
        Ok(out)
    }

    async fn remaining(&self, group_id: GroupId) -> DeskResult<Option<i32>> {
        let answer = self
            .link
            .client
            .call(&self.entry.key, &RemainCoupon { group_id })
            .await;
        Ok(answer.map_err(|e| self.fail(e))?.remain_coupon_num)
    }
}

impl Desk {
    fn fans_target<'a>(&'a self, epoi_id: &'a str) -> DeskResult<Target<'a>> {
        let (link, entry) = self.admin_target(epoi_id)?;
        Ok(Target {
            link,
            entry,
            epoi_id,
        })
    }

    fn require_supervisor(&self, what: &str) -> DeskResult<()> {
        if self.is_supervisor() {
            Ok(())
        } else {
            Err(DeskError::Invalid(format!("only a supervisor may {what}")))
        }
    }

    /// A store's fans page as the platform holds it now.
    pub async fn store_fans(&self, epoi_id: &str) -> DeskResult<StoreFans> {
        let t = self.fans_target(epoi_id)?;
        let groups = t.groups().await?;
        let remaining_coupons = match groups
            .first()
            .and_then(|g| parse_group_id(&g.group_id).ok())
        {
            Some(g) => t.remaining(g).await?,
            None => None,
        };
        Ok(StoreFans {
            epoi_id: epoi_id.to_owned(),
            name: t.entry.name.clone(),
            can_build: t.can_build().await?,
            can_manage: self.is_supervisor(),
            activities: t.activities().await?,
            coupons: t.coupons().await?,
            groups,
            remaining_coupons,
        })
    }

    /// Creates a fans group (supervisors): refused, with nothing created, when a field is
    /// wrong, when the platform does not let the store build one, or when the store has a
    /// group with the same introduction already.
    pub async fn create_fans_group(
        &self,
        epoi_id: &str,
        group: NewFansGroup,
    ) -> DeskResult<StoreFans> {
        self.require_supervisor("create a fans group")?;
        let t = self.fans_target(epoi_id)?;
        let intro = required_text("groupIntro", &group.intro)?;
        let welcome = required_text("groupWelcomeMsg", &group.welcome)?;
        if let Some(c) = &group.join_coupon {
            check_join_coupon(c)?;
        }
        if !t.can_build().await? {
            return Err(DeskError::RightLocked {
                store: store_label(epoi_id, &t.entry),
                right: "fans groups (粉丝群): the platform does not let this store build one \
                        (queryStoreHaveBuild)"
                    .into(),
            });
        }
        if let Some(same) = t
            .groups()
            .await?
            .into_iter()
            .find(|g| g.intro.trim() == intro)
        {
            return Err(DeskError::Duplicate {
                field: "groupIntro".into(),
                what: format!(
                    "fans group {} of store {epoi_id} with this introduction",
                    same.group_id
                ),
            });
        }
        let request = CreateFansGroup {
            group_intro: intro,
            group_welcome_msg: welcome,
            group_enter_coupon: group.join_coupon.map(|c| EnterCoupon {
                price: c.price,
                limit_price: c.limit_price,
                validity: c.validity_days,
            }),
        };
        let created = t
            .link
            .client
            .call(&t.entry.key, &request)
            .await
            .map_err(|e| t.fail(e))?;
        tracing::info!(store = %epoi_id, group = ?created.group_id.map(|g| g.0), "fans group created");
        self.store_fans(epoi_id).await
    }

    /// Starts a join-group coupon in a fans group (supervisors): refused when the group
    /// already has one running.
    pub async fn start_join_coupon(
        &self,
        epoi_id: &str,
        group_id: &str,
        coupon: JoinCouponForm,
    ) -> DeskResult<StoreFans> {
        self.require_supervisor("start a join-group coupon")?;
        let t = self.fans_target(epoi_id)?;
        let group = parse_group_id(group_id)?;
        check_join_coupon(&coupon)?;
        let groups = t.groups().await?;
        if !groups.iter().any(|g| g.group_id == group.0.to_string()) {
            return Err(DeskError::not_found("fans group", group.0));
        }
        // The platform's activity list does not say which group an activity belongs to: a
        // running one is this group's when the store has one group (with more, the platform
        // itself refuses a second one in the same group).
        if groups.len() == 1 && t.activities().await?.iter().any(|a| a.running) {
            return Err(DeskError::Duplicate {
                field: "joinCoupon".into(),
                what: format!("a running join-group coupon in fans group {}", group.0),
            });
        }
        let request = CreateEnterCouponActivity {
            group_id: group,
            price: coupon.price,
            limit_price: coupon.limit_price,
            validity: coupon.validity_days,
        };
        t.link
            .client
            .call(&t.entry.key, &request)
            .await
            .map_err(|e| t.fail(e))?;
        tracing::info!(store = %epoi_id, group = group.0, "join-group coupon started");
        self.store_fans(epoi_id).await
    }

    /// Sends a store discount coupon into a fans group (supervisors): refused, with nothing
    /// sent, when a field is wrong, the activity would end in the past, the group is not the
    /// store's or no coupon is left this month.
    pub async fn send_fans_coupon(
        &self,
        epoi_id: &str,
        form: FansCouponForm,
    ) -> DeskResult<SentFansCoupon> {
        self.require_supervisor("send coupons")?;
        let t = self.fans_target(epoi_id)?;
        let request = coupon_request(&form, self.now())?;
        if !t
            .groups()
            .await?
            .iter()
            .any(|g| g.group_id == request.group_id.0.to_string())
        {
            return Err(DeskError::not_found("fans group", request.group_id.0));
        }
        if t.remaining(request.group_id).await?.is_some_and(|n| n <= 0) {
            return Err(DeskError::RightLocked {
                store: store_label(epoi_id, &t.entry),
                right: "coupons (发券): no coupon is left this month (remainCoupon)".into(),
            });
        }
        let sent = t
            .link
            .client
            .call(&t.entry.key, &request)
            .await
            .map_err(|e| t.fail(e))?;
        tracing::info!(store = %epoi_id, group = request.group_id.0, count = form.count, "fans coupon sent");
        Ok(SentFansCoupon {
            coupon_config_id: sent.coupon_config_id.unwrap_or_default(),
            remaining_coupons: t.remaining(request.group_id).await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> FansCouponForm {
        FansCouponForm {
            group_id: "7".into(),
            count: 10,
            price: 5,
            limit_price: 30,
            claim_valid_days: 7,
            activity_ends_at: 2 * 86_400_000,
        }
    }

    fn field_of(e: DeskError) -> String {
        match e {
            DeskError::Invalid(m) => m.split(':').next().unwrap_or_default().to_owned(),
            DeskError::InPast { field } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_coupon_form_names_the_first_wrong_field() {
        let now = 86_400_000;
        let ok = coupon_request(&form(), now).unwrap();
        assert_eq!(
            (ok.valid_time, ok.activity_valid_time),
            (7 * 86_400, 86_400)
        );
        let wrong = |f: fn(&mut FansCouponForm)| {
            let mut x = form();
            f(&mut x);
            field_of(coupon_request(&x, now).unwrap_err())
        };
        assert_eq!(wrong(|f| f.group_id = "abc".into()), "groupId");
        assert_eq!(wrong(|f| f.count = 0), "count");
        assert_eq!(wrong(|f| f.count = 10_000), "count");
        assert_eq!(wrong(|f| f.price = 20), "price");
        assert_eq!(wrong(|f| f.price = 0), "price");
        assert_eq!(wrong(|f| f.limit_price = 0), "limitPrice");
        assert_eq!(wrong(|f| f.claim_valid_days = 0), "claimValidDays");
        assert_eq!(wrong(|f| f.activity_ends_at = 1000), "activityEndsAt");
        assert_eq!(
            wrong(|f| f.activity_ends_at = 86_400_000 + 1000),
            "activityEndsAt"
        );
    }

    #[test]
    fn a_join_coupon_needs_a_threshold_above_its_discount() {
        let c = |price, limit_price, validity_days| JoinCouponForm {
            price,
            limit_price,
            validity_days,
        };
        assert!(check_join_coupon(&c(5, 30, 7)).is_ok());
        assert!(
            matches!(check_join_coupon(&c(30, 30, 7)), Err(DeskError::Invalid(m)) if m.starts_with("joinCoupon.limitPrice"))
        );
        assert!(
            matches!(check_join_coupon(&c(5, 30, 0)), Err(DeskError::Invalid(m)) if m.starts_with("joinCoupon.validityDays"))
        );
    }
}
