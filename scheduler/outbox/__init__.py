"""Notices that reach phones: the outbox, its channels (WeCom, DingTalk, e-mail, webhook), reminders."""
