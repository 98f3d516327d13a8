//! Wire vocabulary shared by the Meituan client and the push stream: id newtypes, push_content, time units, and the one msg_content cipher module.
