//! The Meituan push long connection: redundant sockets, keep-alive, reconnect, defensive decoding and dedupe into an ordered event stream.
