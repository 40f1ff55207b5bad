"""The console's handlers by concern; web/console/app.py maps them to routes behind web/console/guards.py."""
