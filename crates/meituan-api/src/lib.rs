//! Signed, typed client for the Meituan open platform IM endpoints of both integrations (businessId 2 and 16).
