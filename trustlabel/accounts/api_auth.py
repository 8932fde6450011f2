"""How the JSON API knows who is asking: an API key or a signed-in session."""

from ninja.security import APIKeyCookie, HttpBearer

from .access import Actor
from .actions import authenticate_api_key


class BearerKey(HttpBearer):
    def authenticate(self, request, token):
        key = authenticate_api_key(token)
        if key is None:
            return None
        request.actor = Actor.of_api_key(key)
        return request.actor


class SessionActor(APIKeyCookie):
    """A signed-in person from the portal; CSRF is checked on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        actor = Actor.of_user(request.user)
        if actor is None:
            return None
        request.actor = actor
        return actor


enterprise_auth = [BearerKey(), SessionActor(csrf=True)]
