"""The brand's post-purchase survey: orders in, invitations out (with the solicitation cap and one-click
unsubscribe), the hosted form's answers. Imports config and models only; the HTTP routes are in web/survey.py."""
