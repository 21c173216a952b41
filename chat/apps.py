from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"

    def ready(self) -> None:
        from accounts.signals import account_deleting, user_watchers
        from chat import receivers
        from social.signals import friendship_ended, friendship_started

        friendship_started.connect(
            receivers.open_private_chat, dispatch_uid="chat.open_private_chat"
        )
        friendship_ended.connect(
            receivers.end_private_chat, dispatch_uid="chat.end_private_chat"
        )
        friendship_ended.connect(
            receivers.end_invitations, dispatch_uid="chat.end_invitations"
        )
        user_watchers.connect(
            receivers.chat_partners, dispatch_uid="chat.chat_partners"
        )
        account_deleting.connect(
            receivers.remove_deleted_account, dispatch_uid="chat.remove_deleted_account"
        )
