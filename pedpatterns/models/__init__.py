"""Part 4: the pattern models, their honest evaluation, and the suggestions they give experts.

textmodel (audio and text), imagemodel (keyframes) with imagenet (its ImageNet weights offline),
trust (what a model file may contain before it is read: the checks both models run first),
evaluation (shared metrics), groupsplit (whole groups on one side of the split: one policy for
dataset_foto/ and the models), autolabel (labelling new parts with the image model), suggest
(which patterns a model may suggest and how sure it is), queue (the next batch for the experts),
backend (Label Studio's ML backend: live suggestions, learning from each Submit), options
(defaults, light for ``--help``).
"""
