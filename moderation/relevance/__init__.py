"""Relevance: does a collected mention speak of its brand? The brand query (config/brand_query.py) first, then a
score from the classifier's encoder, then moderators' marks. Off-topic mentions are kept, flagged and left out
of alerts, topics, weak signals, crisis counts and ratings (models/relevance.py holds the one filter)."""
