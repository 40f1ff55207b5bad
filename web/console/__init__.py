"""The moderation console: a web page at /console of `veilleur serve` where moderators clear their queues."""
