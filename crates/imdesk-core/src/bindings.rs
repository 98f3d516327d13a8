//! The TypeScript twins of the IPC types, and the defaults the UI starts from
//! (`defaults.json`), generated into `ui/src/ipc/generated/`.
//!
//! `cargo test -p imdesk-core --test bindings` fails when a committed file differs from what
//! these Rust types generate; `IMDESK_UPDATE_BINDINGS=1 cargo test -p imdesk-core --test
//! bindings` rewrites them. A new IPC type is one line in [`render_all`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use ts_rs::TS;

use crate::alerts as alert_settings;
use crate::view;

/// Renders every generated file as `(file name, file text)`.
pub fn render_all() -> Result<Vec<(String, String)>, ts_rs::ExportError> {
    // i64 fields in the view are times (UTC ms) and money (fen), exact as JS numbers; 64-bit
    // ids travel as strings (see `view`), so `number` is right and `bigint` would be a lie.
    let cfg = ts_rs::Config::default().with_large_int("number");
    let mut out = Vec::new();
    macro_rules! each {
        ($($t:ty),* $(,)?) => { $( out.push(render::<$t>(&cfg)?); )* };
    }
    each!(
        view::AppInfo,
        view::ConversationKind,
        view::OrderState,
        view::LinkState,
        view::SocketState,
        view::SocketHealth,
        view::ConnectionStatus,
        view::StoreSummary,
        view::TokenHealth,
        view::InboxFilter,
        view::InboxQuery,
        view::ConversationTitle,
        view::ConversationRow,
        view::InboxPage,
        view::Author,
        view::SendState,
        view::Unseen,
        view::TeamStatus,
        view::ConversationTeam,
        view::AgentPresence,
        view::AgentView,
        view::AssignmentMode,
        view::AssignmentView,
        view::ClaimResult,
        view::WallAgent,
        view::WallStore,
        view::WallQueueItem,
        view::WallPoint,
        view::SupervisorWall,
        view::MessageBody,
        view::ChatMessage,
        view::HistoryPage,
        view::ComposeBlock,
        view::OrderItem,
        view::OrderCard,
        view::ReviewCard,
        view::ConversationDetail,
        view::PictureFile,
        crate::credentials::StoreEntryForm,
        crate::credentials::CredentialsForm,
        crate::credentials::StoredStore,
        crate::credentials::StoredCredentials,
        crate::team_settings::TeamSettingsForm,
        crate::team_settings::TeamSettingsView,
        crate::store_admin::StoreIm,
        crate::robot::RobotScene,
        crate::robot::RobotSettings,
        crate::robot::RobotSwitch,
        crate::robot::RobotText,
        crate::robot::RobotEdit,
        crate::robot::RobotSaveResult,
        crate::reviews::ReviewItem,
        crate::reviews::StoreReviews,
        crate::reviews::ReviewContact,
        crate::fans::FansGroupInfo,
        crate::fans::JoinCouponActivity,
        crate::fans::CouponStatus,
        crate::fans::FansCoupon,
        crate::fans::StoreFans,
        crate::fans::JoinCouponForm,
        crate::fans::NewFansGroup,
        crate::fans::FansCouponForm,
        crate::fans::SentFansCoupon,
        view::BlockReason,
        view::BlockRequest,
        view::QuickReply,
        view::SearchQuery,
        view::SearchHit,
        crate::export::ExportFormat,
        crate::export::ExportInfo,
        crate::platform::RightGate,
        crate::platform::RightState,
        crate::platform::StoreRight,
        crate::platform::RatePoint,
        crate::platform::StorePlatformRates,
        crate::platform::PlatformRatesPage,
        view::Rate,
        view::ReplyRates,
        view::DeskEvent,
        view::IpcError,
        view::RetentionSettings,
        view::RetentionRun,
        view::RetentionView,
        view::ErrorCode,
        view::DoctorReport,
        view::StoreCheck,
        view::CheckFailure,
        view::PushReport,
        view::SocketReport,
        view::ClockReport,
        view::RepliesReport,
        view::ProblemCount,
        view::PlatformReply,
        view::QuarantineReport,
        view::QuarantineEntry,
        view::BundleInfo,
        crate::crash::PendingCrash,
        crate::updates::UpdateStatus,
        crate::updates::UpdateRefusal,
        crate::updates::InstallGate,
        alert_settings::AlertSettings,
        alert_settings::TimeOfDay,
        alert_settings::TimeRange,
        alert_settings::StormLimits,
    );
    // Data beside the types: the defaults the UI shows before the core answers (and its mock
    // uses), taken from Rust so that they cannot drift from what the core applies.
    let defaults = BTreeMap::from([
        (
            "alertSettings",
            serde_json::to_value(alert_settings::AlertSettings::default())
                .map_err(std::io::Error::from)?,
        ),
        (
            "retentionSettings",
            serde_json::to_value(view::RetentionSettings::default())
                .map_err(std::io::Error::from)?,
        ),
    ]);
    let json = serde_json::to_string_pretty(&defaults).map_err(std::io::Error::from)?;
    out.push(("defaults.json".to_owned(), json + "\n"));
    Ok(out)
}

fn render<T: TS + 'static + ?Sized>(
    cfg: &ts_rs::Config,
) -> Result<(String, String), ts_rs::ExportError> {
    Ok((format!("{}.ts", T::ident(cfg)), T::export_to_string(cfg)?))
}

/// The folder the UI imports generated types from.
pub fn generated_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/ipc/generated")
}
