//! \[INF\] The businessId-2 opaque `data` endpoints, in one place.
//!
//! On businessId 2, `msgRead`, `userReadTime`, `setPoiIMStatus` and the comment list take a
//! single string `data`, and the SDK sends `biz` as the JSON encoding of that string (§1.2).
//! The keys *inside* that string are not documented (open question 4). This module guesses
//! that they are the businessId-16 keys (`openUserId`, `msgId`, `imStatus`, the comment query
//! fields): the request is serialized exactly as for 16 and then wrapped as a quoted string.
//! A correction from the live platform changes only this file.

use meituan_wire::BusinessId;
use serde::Serialize;

use crate::envelope::Biz;

/// Endpoints whose businessId-2 variant takes the opaque `data` string.
pub const OPAQUE_ON_BUSINESS_ID_2: [&str; 4] = [
    "msgRead",
    "userReadTime",
    "setPoiIMStatus",
    "comment/queryCommentList",
];

/// Whether `endpoint` takes the opaque `data` form in `business_id`.
pub fn is_opaque(business_id: BusinessId, endpoint: &str) -> bool {
    business_id == BusinessId::Waimai && OPAQUE_ON_BUSINESS_ID_2.contains(&endpoint)
}

/// `biz` for `params`: a JSON object, or on businessId 2 for the opaque endpoints the same
/// object text as a quoted JSON string (\[INF\] inner keys = businessId-16 keys).
pub fn biz_for<T: Serialize + ?Sized>(
    business_id: BusinessId,
    endpoint: &str,
    params: &T,
) -> Result<Biz, serde_json::Error> {
    let object = serde_json::to_string(params)?;
    Ok(if is_opaque(business_id, endpoint) {
        Biz::quoted_string(&object)
    } else {
        Biz::json_text(object)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_endpoints_on_business_id_2_are_wrapped() {
        let params = serde_json::json!({"openUserId": 1, "msgId": 2});
        let wrapped = biz_for(BusinessId::Waimai, "msgRead", &params).unwrap();
        assert_eq!(
            wrapped.as_str(),
            Some(r#""{\"msgId\":2,\"openUserId\":1}""#)
        );
        let plain = biz_for(BusinessId::Wmoper, "msgRead", &params).unwrap();
        assert_eq!(plain.as_str(), Some(r#"{"msgId":2,"openUserId":1}"#));
        let other = biz_for(BusinessId::Waimai, "msg/send", &params).unwrap();
        assert_eq!(other.as_str(), Some(r#"{"msgId":2,"openUserId":1}"#));
    }
}
