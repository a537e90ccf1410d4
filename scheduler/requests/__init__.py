"""Residents' requests on the staff side: the inbox, requests filed for residents, ratings."""
