"""classifier.bert computes what transformers' BertModel computes, with the same parameter names."""

from __future__ import annotations

import pytest
import torch

from classifier.bert import BertEncoder, encoder_settings

ENCODER = {"vocab_size": 120, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
           "intermediate_size": 64, "max_position_embeddings": 64, "type_vocab_size": 2}


def _reference(encoder: dict):
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    return transformers.BertModel(transformers.BertConfig(**encoder), add_pooling_layer=False).eval()


def _batch():
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(1, 120, (3, 20), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 12:] = 0  # padded rows, as collate_* makes them
    mask[2, 5:] = 0
    ids[mask == 0] = 0
    types = torch.zeros_like(ids)
    types[:, 8:] = 1
    return ids, mask, types


@pytest.mark.parametrize("act", ["gelu", "gelu_new"])
def test_same_parameters_and_same_output_as_transformers(act):
    reference = _reference({**ENCODER, "hidden_act": act})
    ours = BertEncoder({**ENCODER, "hidden_act": act}).eval()
    state = reference.state_dict()
    assert set(ours.state_dict()) == set(state)  # checkpoints and the base encoder load unchanged
    ours.load_state_dict(state, strict=True)
    ids, mask, types = _batch()
    with torch.inference_mode():
        expected = reference(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
        got = ours(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
        unpadded = ours(input_ids=ids[:1], attention_mask=mask[:1]).last_hidden_state
        expected_unpadded = reference(input_ids=ids[:1], attention_mask=mask[:1]).last_hidden_state
    real = mask.bool()
    torch.testing.assert_close(got[real], expected[real], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(unpadded, expected_unpadded, atol=1e-5, rtol=1e-4)


def test_training_mode_uses_dropout_and_eval_mode_does_not():
    ours = BertEncoder({**ENCODER, "hidden_dropout_prob": 0.5})
    ids, mask, types = _batch()
    ours.train()
    first = ours(input_ids=ids, attention_mask=mask).last_hidden_state
    second = ours(input_ids=ids, attention_mask=mask).last_hidden_state
    assert not torch.equal(first, second)
    first.sum().backward()  # trainable: gradients reach the embeddings
    assert ours.embeddings.word_embeddings.weight.grad is not None
    ours.eval()
    with torch.inference_mode():
        assert torch.equal(ours(input_ids=ids, attention_mask=mask).last_hidden_state,
                           ours(input_ids=ids, attention_mask=mask).last_hidden_state)


def test_defaults_and_refusals():
    assert encoder_settings({})["hidden_size"] == 768
    assert encoder_settings({"hidden_act": None})["hidden_act"] == "gelu"
    with pytest.raises(ValueError, match="hidden_act"):
        encoder_settings({"hidden_act": "swish_beta"})
    with pytest.raises(ValueError, match="absolute"):
        encoder_settings({"position_embedding_type": "relative_key"})


def test_weight_init_skipped_only_inside_the_block():
    from classifier.bert import weight_init_skipped

    with weight_init_skipped():
        skipped = torch.nn.Linear(4, 4)
        torch.nn.init.ones_(skipped.weight)  # a no-op inside the block
    assert not torch.equal(skipped.weight, torch.ones(4, 4))
    initialised = torch.nn.LayerNorm(4)
    assert torch.equal(initialised.weight, torch.ones(4))
