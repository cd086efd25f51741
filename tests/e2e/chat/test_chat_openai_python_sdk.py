"""The official `openai` Python SDK, unmodified, against sightline: the API reference example, an
ovs:// image, streaming, errors and the model list."""

import pytest

openai = pytest.importorskip("openai", reason="the openai package is in tests/requirements.txt")

from chat.chat_helpers import A_H, A_W, expect_media  # noqa: E402
from chat.chat_media import upstream_parts  # noqa: E402

pytestmark = pytest.mark.chat


@pytest.fixture
def sdk_env(chat, monkeypatch):
    """The environment an openai-python user sets to use another server."""
    monkeypatch.setenv("OPENAI_BASE_URL", chat.base)
    monkeypatch.setenv("OPENAI_API_KEY", chat.key)
    for var in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    return chat


def test_api_reference_example(sdk_env, capsys):
    chat = sdk_env
    # The "Create chat completion" example of the OpenAI API reference
    # (https://platform.openai.com/docs/api-reference/chat/create), verbatim; "gpt-4o" is routed
    # to the stub upstream by the session's --backend flags.
    from openai import OpenAI
    client = OpenAI()

    completion = client.chat.completions.create(
      model="gpt-4o",
      messages=[
        {"role": "developer", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hello!"}
      ]
    )

    print(completion.choices[0].message)

    assert completion.choices[0].message.content == chat.stub.text
    assert completion.choices[0].message.role == "assistant"
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o"
    assert completion.usage.total_tokens == (completion.usage.prompt_tokens +
                                             completion.usage.completion_tokens)
    assert chat.stub.text in capsys.readouterr().out
    up = chat.upstream()
    assert up["messages"][1] == {"role": "user", "content": "Hello!"}
    assert up["messages"][0]["content"] == "You are a helpful assistant."
    assert up["messages"][0]["role"] in ("developer", "system")


def test_ovs_image_through_the_sdk(sdk_env):
    chat = sdk_env
    client = openai.OpenAI()
    url = chat.ovs(chat.a, "frame_index=42")
    chat.wait_frames(chat.a, 43)
    completion = client.chat.completions.create(
        model="stub-frames",
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "What is in this frame?"},
            {"type": "image_url", "image_url": {"url": url}},
        ]}],
        temperature=0.2,
        max_tokens=32,
    )
    assert completion.choices[0].message.content == chat.stub.text
    # unknown top-level fields are kept by the SDK's models as extras
    media = completion.model_extra["ovs_media"]
    expect_media(media[0], url, chat.a, 42, 42, 1)
    up = chat.upstream()
    assert (up["temperature"], up["max_tokens"]) == (0.2, 32)
    pic = upstream_parts(up["messages"][0]["content"])[1].picture
    assert (pic.index, pic.width, pic.height) == (42, A_W, A_H)


def test_streaming_through_the_sdk(sdk_env):
    chat = sdk_env
    client = openai.OpenAI()
    url = chat.ovs(chat.a, "start_frame_index=0&end_frame_index=60&max_fps=2")
    stream = client.chat.completions.create(
        model="stub-frames",
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "What happened?"},
            {"type": "video_url", "video_url": {"url": url}},
        ]}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == chat.stub.text
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    expect_media(chunks[-1].model_extra["ovs_media"][0], url, chat.a, 0, 45, 4)


def test_errors_through_the_sdk(sdk_env):
    chat = sdk_env
    client = openai.OpenAI(max_retries=0)
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="no-such-model",
                                       messages=[{"role": "user", "content": "hi"}])
    assert e.value.code == "model_not_found"

    with pytest.raises(openai.UnprocessableEntityError) as e:
        client.chat.completions.create(model="stub-frames", messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": chat.ovs(chat.a, "frame_index=1&bad=1")}},
        ]}])
    assert e.value.code == "invalid_reference"
    assert e.value.param == "messages[0].content[0].image_url.url"

    with pytest.raises(openai.InternalServerError) as e:
        client.chat.completions.create(model="stub-failing",
                                       messages=[{"role": "user", "content": "hi"}])
    assert e.value.status_code == 502

    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key="sk-wrong", max_retries=0).chat.completions.create(
            model="stub-frames", messages=[{"role": "user", "content": "hi"}])


def test_model_list_through_the_sdk(sdk_env):
    chat = sdk_env
    ids = sorted(m.id for m in openai.OpenAI().models.list())
    assert ids == sorted(chat.models)
