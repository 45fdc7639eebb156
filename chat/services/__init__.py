"""The chat's services: what views, sockets, tasks, the admin and the other apps call.

One module per kind of action; this package's names are the chat's surface (moderation and
accounts call nothing else of the chat, docs/decisions.md "Where the apps meet"):

- `post`: the one posting pipeline, for room messages, DM requests, DM replies and images;
- `rooms`: the rooms a person may see and enter, joining, leaving, history; rooms operators
  create and change, and members' proposals;
- `conversations`: DM requests answered (accept, decline, block), lists and history;
- `moderate`: what moderation and accounts ask of the chat (excerpts for assessments, a
  message hidden or restored, retention, legal hold, sockets told an account changed);
- `user_data`: a person's export, a deleted account's content forgotten, blocks and mutes;
- `trusted`: trusted connections across age bands, and `may_talk`, the one person-to-person check.
"""

from chat.services.first_contact import answered_message
from chat.services.conversations import (
    accept_conversation,
    block_conversation,
    conversation_history,
    decline_conversation,
    list_conversations,
    parse_id,
)
from chat.services.moderate import (
    close_user_sockets,
    conversation_for_scoring,
    first_contacts_for_scoring,
    hold_message_images,
    message_context,
    purge_messages,
    reapply_contact_matrix,
    refresh_user_sockets,
    room_voices_for_scoring,
    set_message_status,
    stored_texts_for_dry_run,
    user_sanction_changed,
)
from chat.services.post import (
    Post,
    PostResult,
    ReplyTarget,
    RequestTarget,
    RoomTarget,
    open_conversation,
    post_message,
    post_messages,
    post_room_message,
    send_direct_message,
)
from chat.services.rooms import (
    ROOM_SETTINGS,
    add_room,
    check_may_enter,
    create_room,
    create_room_proposal,
    edit_room,
    get_visible_room,
    join_room,
    join_rooms,
    latest_messages,
    latest_messages_of_rooms,
    leave_room,
    room_history,
    update_room_settings,
    visible_rooms,
)
from chat.services.trusted import (
    accept_trusted_connection,
    end_trusted_connection,
    end_trusted_connection_as_operator,
    list_trusted_connections,
    may_talk,
    propose_trusted_connection,
    trusted_connections_for_moderators,
)
from chat.services.user_data import apply_user_control, export_user_content, forget_user_content

__all__ = [
    "Post", "PostResult", "ReplyTarget", "RequestTarget", "RoomTarget", "ROOM_SETTINGS",
    "accept_conversation", "add_room", "apply_user_control", "block_conversation", "check_may_enter",
    "close_user_sockets", "conversation_for_scoring", "conversation_history", "create_room",
    "create_room_proposal", "decline_conversation", "edit_room", "export_user_content",
    "answered_message", "first_contacts_for_scoring", "forget_user_content", "get_visible_room",
    "hold_message_images", "join_room", "join_rooms", "latest_messages", "latest_messages_of_rooms", "leave_room", "list_conversations",
    "message_context", "open_conversation", "parse_id", "post_message", "post_messages", "post_room_message",
    "purge_messages", "reapply_contact_matrix", "refresh_user_sockets", "room_history", "room_voices_for_scoring", "send_direct_message",
    "set_message_status", "stored_texts_for_dry_run", "update_room_settings", "user_sanction_changed",
    "visible_rooms",
    "accept_trusted_connection", "end_trusted_connection", "end_trusted_connection_as_operator",
    "list_trusted_connections", "may_talk", "propose_trusted_connection", "trusted_connections_for_moderators",
]
