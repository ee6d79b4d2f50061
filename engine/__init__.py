"""microgpt's engine: a character-level GPT trained in pure Python, standard library only.

Reading order, for learning how it works:

1. value.py: Value, a number that remembers how it was computed, and backward(), which
   applies the chain rule through everything computed from it. The whole of autograd.
2. scalar.py: the GPT over Values (embeddings, attention, MLP, softmax, loss), written
   as the reference writes it. Slow, nothing hidden, and the oracle the tests trust.
3. inference.py: the same forward pass on plain floats, with no tricks. It samples names,
   gives the next-character odds and draws attention maps.
4. fast.py: a training step on whole matrices, with the backward pass written by hand:
   the scalar engine's loss to the last bit, its gradients to about 1e-16, many times
   faster. fast_kernels.py writes out its inner loops.

The rest, each with one job:

- config.py: the model's shape and the run's settings, and the checks on them.
- params.py: where each weight sits in one flat list, and how a seed fills them.
- tokenizer.py: characters to token ids and back, plus BOS, which starts and ends a name.
- optim.py: Adam, with the learning rate decaying linearly to 0.
- engines.py: the engines ("scalar", "fast") by name.
- trainer.py: one training run, advanced a step at a time; scores held-out names.
- sampling.py: making up names and the odds of each next character, through inference.
- stats.py: summary numbers of every weight matrix, for the parameters view.
- baselines.py: the losses of counting models (uniform, unigram, bigram) on the held-out names, to read the loss against.
- checkpoint.py: saving a run to a file and resuming it exactly.
"""
