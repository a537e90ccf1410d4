"""The time bank (时间银行): credits earned by service and redeemed for services."""
