"""Which provider profile a turn asks, with its key, and one HTTP client per profile.

Kept apart from the engine because both are long-lived and blocking at their edges: the key
lookup may wait on the keyring (so it runs off the event loop's thread), and each client holds
connections open between turns until `aclose()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kibitz.core.chat import ChatClient, ProviderConfig
    from kibitz.core.secrets import SecretStore
    from kibitz.core.settings import Settings
    from kibitz.core.types import Conversation

# Runs a blocking call off the event loop's thread (the UI's single worker thread, say).
RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]


async def in_default_executor(call: Callable[[], Any]) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, call)


class ProviderClients:
    """Resolves provider profiles with their keys; caches a ChatClient per resolved profile."""

    def __init__(
        self,
        settings: Callable[[], Settings],
        secrets: SecretStore,
        env: Mapping[str, str],
        run_blocking: RunBlocking,
    ) -> None:
        self._settings = settings
        self._secrets = secrets
        self._env = env
        self._run_blocking = run_blocking
        self._clients: dict[ProviderConfig, ChatClient] = {}

    async def provider_for(
        self, conversation: Conversation, name: str | None = None
    ) -> ProviderConfig:
        """Profile `name`, else the conversation's own provider profile, else the default
        one, with its key."""
        from kibitz.core.conversation import connect

        settings = self._settings()

        def resolve() -> ProviderConfig:
            return connect.provider_config(
                settings, self._secrets, self._env, name=name or conversation.provider
            )

        config: ProviderConfig = await self._run_blocking(resolve)
        return config

    def client_for(self, provider: ProviderConfig) -> ChatClient:
        client = self._clients.get(provider)
        if client is None:
            from kibitz.core.chat import ChatClient

            client = self._clients[provider] = ChatClient(provider)
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
