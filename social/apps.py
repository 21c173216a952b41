from django.apps import AppConfig


class SocialConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "social"

    def ready(self) -> None:
        from accounts.signals import account_deleting, user_watchers
        from social import receivers

        user_watchers.connect(
            receivers.friends_and_requesters,
            dispatch_uid="social.friends_and_requesters",
        )
        account_deleting.connect(
            receivers.remove_account_ties, dispatch_uid="social.remove_account_ties"
        )
