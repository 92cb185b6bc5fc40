"""Demo content for `manage.py load_demo`: real papers, invented writers, summaries we wrote."""

VENUES = [
    ("conf/nips", "Neural Information Processing Systems", "NeurIPS", "https://neurips.cc"),
    ("conf/icml", "International Conference on Machine Learning", "ICML", "https://icml.cc"),
    (
        "conf/iclr",
        "International Conference on Learning Representations",
        "ICLR",
        "https://iclr.cc",
    ),
    ("conf/cvpr", "IEEE/CVF Conference on Computer Vision and Pattern Recognition", "CVPR", ""),
    ("conf/iccv", "IEEE/CVF International Conference on Computer Vision", "ICCV", ""),
    ("conf/aaai", "AAAI Conference on Artificial Intelligence", "AAAI", "https://aaai.org"),
    ("journals/corr", "Computing Research Repository (arXiv)", "CoRR", "https://arxiv.org"),
    ("10.1038", "Nature", "Nature", "https://www.nature.com"),
]

# (key, title, authors, venue key, year, arXiv id, DOI, keywords, abstract, first published)
PAPERS = [
    (
        "conf/nips/RenHGS15",
        "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks",
        ["Shaoqing Ren", "Kaiming He", "Ross B. Girshick", "Jian Sun"],
        "conf/nips",
        2015,
        "1506.01497",
        "",
        ["dblp", "cs.CV"],
        "State-of-the-art object detection networks depend on region proposal algorithms to "
        "hypothesize object locations. This work introduces a Region Proposal Network that "
        "shares full-image convolutional features with the detection network, enabling nearly "
        "cost-free region proposals.",
        "2015-06-04",
    ),
    (
        "conf/iccv/HeGDG17",
        "Mask R-CNN",
        ["Kaiming He", "Georgia Gkioxari", "Piotr Dollár", "Ross B. Girshick"],
        "conf/iccv",
        2017,
        "1703.06870",
        "10.1109/iccv.2017.322",
        ["dblp", "cs.CV"],
        "A conceptually simple, flexible and general framework for object instance "
        "segmentation that extends Faster R-CNN with a branch predicting an object mask in "
        "parallel with the existing branch for bounding box recognition.",
        "2017-03-20",
    ),
    (
        "conf/cvpr/RedmonDGF16",
        "You Only Look Once: Unified, Real-Time Object Detection",
        ["Joseph Redmon", "Santosh Kumar Divvala", "Ross B. Girshick", "Ali Farhadi"],
        "conf/cvpr",
        2016,
        "1506.02640",
        "10.1109/cvpr.2016.91",
        ["dblp", "cs.CV"],
        "YOLO frames object detection as a regression problem to spatially separated bounding "
        "boxes and associated class probabilities, predicted by a single network in one "
        "evaluation.",
        "2015-06-08",
    ),
    (
        "conf/icml/IoffeS15",
        "Batch Normalization: Accelerating Deep Network Training by Reducing Internal "
        "Covariate Shift",
        ["Sergey Ioffe", "Christian Szegedy"],
        "conf/icml",
        2015,
        "1502.03167",
        "",
        ["dblp", "cs.LG"],
        "Training deep networks is complicated by the fact that the distribution of each "
        "layer's inputs changes during training. Normalizing layer inputs for each training "
        "mini-batch allows much higher learning rates.",
        "2015-02-11",
    ),
    (
        "conf/cvpr/SchroffKP15",
        "FaceNet: A Unified Embedding for Face Recognition and Clustering",
        ["Florian Schroff", "Dmitry Kalenichenko", "James Philbin"],
        "conf/cvpr",
        2015,
        "1503.03832",
        "10.1109/cvpr.2015.7298682",
        ["dblp", "cs.CV"],
        "FaceNet learns a mapping from face images to a compact Euclidean space where "
        "distances directly correspond to a measure of face similarity.",
        "2015-03-12",
    ),
    (
        "conf/icml/OordKK16",
        "Pixel Recurrent Neural Networks",
        ["Aäron van den Oord", "Nal Kalchbrenner", "Koray Kavukcuoglu"],
        "conf/icml",
        2016,
        "1601.06759",
        "",
        ["dblp", "cs.CV", "cs.LG"],
        "A deep neural network that sequentially predicts the pixels in an image along the two "
        "spatial dimensions, modelling the discrete probability of the raw pixel values.",
        "2016-01-25",
    ),
    (
        "conf/aaai/YuZWY17",
        "SeqGAN: Sequence Generative Adversarial Nets with Policy Gradient",
        ["Lantao Yu", "Weinan Zhang", "Jun Wang", "Yong Yu"],
        "conf/aaai",
        2017,
        "1609.05473",
        "",
        ["dblp", "cs.LG"],
        "Generating discrete token sequences with GANs is hard because the generator's output "
        "is discrete. SeqGAN treats the generator as a reinforcement-learning policy and uses "
        "the discriminator's verdict as the reward.",
        "2016-09-18",
    ),
    (
        "conf/cvpr/SandlerHZZC18",
        "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
        [
            "Mark Sandler",
            "Andrew G. Howard",
            "Menglong Zhu",
            "Andrey Zhmoginov",
            "Liang-Chieh Chen",
        ],
        "conf/cvpr",
        2018,
        "1801.04381",
        "",
        ["dblp", "cs.CV"],
        "A mobile architecture based on an inverted residual structure where the shortcut "
        "connections are between thin bottleneck layers.",
        "2018-01-13",
    ),
    (
        "journals/corr/1611.03530",
        "Understanding deep learning requires rethinking generalization",
        ["Chiyuan Zhang", "Samy Bengio", "Moritz Hardt", "Benjamin Recht", "Oriol Vinyals"],
        "journals/corr",
        2016,
        "1611.03530",
        "",
        ["cs.LG"],
        "Through extensive experiments, this work shows that standard architectures trained "
        "with stochastic gradient methods easily fit a random labelling of the training data.",
        "2016-11-10",
    ),
    (
        "conf/nips/VaswaniSPUJGKP17",
        "Attention is All you Need",
        [
            "Ashish Vaswani",
            "Noam Shazeer",
            "Niki Parmar",
            "Jakob Uszkoreit",
            "Llion Jones",
            "Aidan N. Gomez",
            "Lukasz Kaiser",
            "Illia Polosukhin",
        ],
        "conf/nips",
        2017,
        "1706.03762",
        "",
        ["dblp", "cs.CL", "cs.LG"],
        "The Transformer is a sequence transduction architecture based solely on attention "
        "mechanisms, dispensing with recurrence and convolutions entirely.",
        "2017-06-12",
    ),
    (
        "conf/cvpr/HeZRS16",
        "Deep Residual Learning for Image Recognition",
        ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"],
        "conf/cvpr",
        2016,
        "1512.03385",
        "10.1109/cvpr.2016.90",
        ["dblp", "cs.CV"],
        "A residual learning framework eases the training of networks substantially deeper "
        "than those used previously, by reformulating layers as learning residual functions "
        "with reference to the layer inputs.",
        "2015-12-10",
    ),
    (
        "conf/icml/GalG16",
        "Dropout as a Bayesian Approximation: Representing Model Uncertainty in Deep Learning",
        ["Yarin Gal", "Zoubin Ghahramani"],
        "conf/icml",
        2016,
        "1506.02142",
        "",
        ["dblp", "stat.ML"],
        "Dropout training in deep neural networks can be cast as approximate Bayesian "
        "inference in deep Gaussian processes, which gives tools to model uncertainty.",
        "2015-06-06",
    ),
    (
        "conf/nips/GoodfellowPMXWOCB14",
        "Generative Adversarial Nets",
        [
            "Ian J. Goodfellow",
            "Jean Pouget-Abadie",
            "Mehdi Mirza",
            "Bing Xu",
            "David Warde-Farley",
            "Sherjil Ozair",
            "Aaron C. Courville",
            "Yoshua Bengio",
        ],
        "conf/nips",
        2014,
        "1406.2661",
        "",
        ["dblp", "stat.ML"],
        "A framework for estimating generative models via an adversarial process in which a "
        "generative model and a discriminative model are trained simultaneously.",
        "2014-06-10",
    ),
    (
        "journals/corr/KingmaB14",
        "Adam: A Method for Stochastic Optimization",
        ["Diederik P. Kingma", "Jimmy Ba"],
        "journals/corr",
        2014,
        "1412.6980",
        "",
        ["dblp", "cs.LG"],
        "An algorithm for first-order gradient-based optimization of stochastic objective "
        "functions, based on adaptive estimates of lower-order moments.",
        "2014-12-22",
    ),
    (
        "10.1038/nature16961",
        "Mastering the game of Go with deep neural networks and tree search",
        [
            "David Silver",
            "Aja Huang",
            "Chris J. Maddison",
            "Arthur Guez",
            "Laurent Sifre",
            "George van den Driessche",
            "Julian Schrittwieser",
            "Ioannis Antonoglou",
            "Vedavyas Panneershelvam",
            "Marc Lanctot",
            "Sander Dieleman",
            "Dominik Grewe",
            "John Nham",
            "Nal Kalchbrenner",
            "Ilya Sutskever",
            "Timothy P. Lillicrap",
            "Madeleine Leach",
            "Koray Kavukcuoglu",
            "Thore Graepel",
            "Demis Hassabis",
        ],
        "10.1038",
        2016,
        "",
        "10.1038/nature16961",
        ["Go", "reinforcement learning"],
        "Value networks evaluate board positions and policy networks select moves; both are "
        "trained from human expert games and self-play, and combined with Monte Carlo tree "
        "search.",
        "2016-01-27",
    ),
    (
        "conf/cvpr/GirshickDDM14",
        "Rich Feature Hierarchies for Accurate Object Detection and Semantic Segmentation",
        ["Ross B. Girshick", "Jeff Donahue", "Trevor Darrell", "Jitendra Malik"],
        "conf/cvpr",
        2014,
        "1311.2524",
        "10.1109/cvpr.2014.81",
        ["dblp", "cs.CV"],
        "R-CNN combines bottom-up region proposals with convolutional network features, "
        "improving mean average precision on PASCAL VOC by more than 30%.",
        "2013-11-11",
    ),
]

# Alias keys: the arXiv key of a conference paper redirects to the conference key.
ALIASES = [
    ("journals/corr/RenHG015", "conf/nips/RenHGS15"),
    ("journals/corr/VaswaniSPUJGKP17", "conf/nips/VaswaniSPUJGKP17"),
    ("conf/iclr/ZhangBHRV17", "journals/corr/1611.03530"),
]

USERS = [
    (
        "mira",
        "Mira Kovač",
        "Computer vision, mostly detection and segmentation.",
        "0000-0002-1825-0097",
    ),
    ("tobias_e", "Tobias Eklund", "Optimization and generalization in deep learning.", ""),
    ("ngozi-a", "Ngozi Adeyemi", "Generative models and probabilistic deep learning.", ""),
]

# (writer, paper key, anonymous, Markdown source)
SUMMARIES = [
    (
        "mira",
        "conf/nips/RenHGS15",
        False,
        r"""Faster R-CNN removes the last slow, hand-engineered step of two-stage detection:
region proposals. Instead of running Selective Search on the CPU (about 2 s per image), a
small **Region Proposal Network** (RPN) slides over the same convolutional feature map the
detector uses and proposes boxes almost for free. It builds directly on Fast R-CNN and the
original R-CNN \cite{conf/cvpr/GirshickDDM14}.

# How the RPN works

![Faster R-CNN: a shared backbone feeds the region proposal network and the detection head](/static/img/demo/faster-rcnn.svg)

At every position of the feature map the RPN considers $k$ **anchors**: reference boxes with
3 scales and 3 aspect ratios, so $k = 9$. For each anchor it predicts

- an objectness score (object vs. background), and
- four offsets $(t_x, t_y, t_w, t_h)$ that move and resize the anchor.

The offsets are parameterised relative to the anchor $(x_a, y_a, w_a, h_a)$:

$$
t_x = \frac{x - x_a}{w_a}, \quad t_y = \frac{y - y_a}{h_a}, \quad
t_w = \log\frac{w}{w_a}, \quad t_h = \log\frac{h}{h_a}
$$

The RPN is trained with a classification loss plus a smooth $L_1$ regression loss on positive
anchors only:

$$L(\{p_i\}, \{t_i\}) = \frac{1}{N_{cls}} \sum_i L_{cls}(p_i, p_i^*) + \lambda \frac{1}{N_{reg}} \sum_i p_i^* L_{reg}(t_i, t_i^*)$$

# Results

| Proposals | Method | VOC 2007 mAP | Time per image |
|---|---|---|---|
| Selective Search, 2000 | Fast R-CNN | 66.9 | 1830 ms |
| RPN, 300 | Faster R-CNN (VGG-16) | 69.9 | 198 ms |

The detector and RPN share features, so 300 learned proposals beat 2000 hand-made ones while
the whole system runs at about 5 fps on a GPU. Mask R-CNN \cite{conf/iccv/HeGDG17} later adds
a mask branch to exactly this architecture.
""",
    ),
    (
        "mira",
        "conf/iccv/HeGDG17",
        False,
        r"""Mask R-CNN extends Faster R-CNN \cite{conf/nips/RenHGS15} with a third head that
predicts a binary mask for each detected object, giving instance segmentation with very
little extra cost (about 20% slower).

Two details matter more than the extra head:

1. **RoIAlign** replaces RoIPool. RoIPool rounds the region's coordinates to the feature grid
   twice, which misaligns features by up to half a cell; RoIAlign samples the feature map with
   bilinear interpolation at exact positions. This alone improves mask AP by 10 to 50% relative
   at strict IoU thresholds.
2. **Decoupled mask and class prediction.** The mask head predicts $K$ masks of size
   $m \times m$, one per class, each with a per-pixel sigmoid, and the loss only uses the mask of
   the ground-truth class:

$$L = L_{cls} + L_{box} + L_{mask}$$

Because masks of different classes do not compete (no softmax over classes per pixel), the
network learns masks for every class without interference.

```python
# The mask loss only looks at the channel of the true class k.
mask_logits = mask_head(roi_features)          # shape (N, K, m, m)
target_logits = mask_logits[torch.arange(N), labels]
loss_mask = F.binary_cross_entropy_with_logits(target_logits, mask_targets)
```

The same framework also does human pose estimation by predicting one mask per keypoint.
""",
    ),
    (
        "tobias_e",
        "journals/corr/1611.03530",
        False,
        r"""The paper asks a simple question: if deep networks generalise well, is it because the
model class is small? Its experiments say no.

## The randomisation test

Take CIFAR-10 and ImageNet, replace the labels with random ones, and train the usual
architectures with the usual SGD settings. The networks reach **zero training error** anyway,
and training is only a small constant factor slower. The same happens when the pixels are
replaced by Gaussian noise. Test accuracy is of course at chance level, so the generalisation
gap can be made as large as we like without changing the model, the optimizer or the
regularisation.

## What this means for the usual explanations

- Rademacher complexity: since the network fits random labels, its empirical Rademacher
  complexity is close to its maximum, $\hat{\mathfrak{R}}_n(\mathcal{H}) \approx 1$, so the
  bound says nothing.
- Explicit regularisation (weight decay, dropout, data augmentation) helps, but turning it off
  costs only a few points of test accuracy; it is neither necessary nor sufficient.
- Implicit regularisation by SGD is the remaining suspect. For linear models,
  SGD started from zero converges to the minimum-norm solution $w = X^\top (X X^\top)^{-1} y$.

A two-layer network with $2n + d$ parameters can represent any labelling of $n$ points in
$d$ dimensions, which the paper proves as a finite-sample expressivity result.

Batch normalization \cite{conf/icml/IoffeS15} is one of the regularisers they switch off. For
an optimizer-side view see Adam \cite{journals/corr/KingmaB14}.
""",
    ),
    (
        "tobias_e",
        "conf/icml/IoffeS15",
        False,
        r"""Batch normalization normalises each activation over the mini-batch before the
nonlinearity, then lets the network undo it with a learned scale and shift:

$$\hat{x}_i = \frac{x_i - \mu_\mathcal{B}}{\sqrt{\sigma_\mathcal{B}^2 + \epsilon}}, \qquad
y_i = \gamma \hat{x}_i + \beta$$

where $\mu_\mathcal{B}$ and $\sigma_\mathcal{B}^2$ are the mean and variance over the
mini-batch $\mathcal{B}$. At test time the running averages are used instead, so the layer
becomes a fixed affine map.

The paper's explanation, reducing *internal covariate shift*, has not held up well; later work
suggests the main effect is a smoother loss landscape. The practical results are not in doubt:

- learning rates can be raised by an order of magnitude;
- dropout becomes less necessary;
- an Inception network matches its previous accuracy in 14 times fewer steps.

The cost: behaviour depends on the batch, which hurts with small batches and makes training
and inference differ. ResNets \cite{conf/cvpr/HeZRS16} use it after every convolution.
""",
    ),
    (
        "ngozi-a",
        "conf/aaai/YuZWY17",
        False,
        r"""GANs \cite{conf/nips/GoodfellowPMXWOCB14} need the discriminator's gradient to flow
into the generator, which breaks when the generator emits discrete tokens. SeqGAN sidesteps
this by treating generation as a sequential decision process:

- **state**: the tokens generated so far, $Y_{1:t-1}$;
- **action**: the next token $y_t$;
- **policy**: the generator $G_\theta(y_t \mid Y_{1:t-1})$;
- **reward**: the discriminator's probability that the *finished* sequence is real.

Since the reward only exists for complete sequences, intermediate steps are scored by Monte
Carlo rollouts: complete the sequence $N$ times with the current policy and average the
discriminator's outputs. The generator is then updated with REINFORCE:

$$\nabla_\theta J(\theta) = \mathbb{E}_{Y_{1:t-1} \sim G_\theta}\Big[\sum_{y_t} \nabla_\theta G_\theta(y_t \mid Y_{1:t-1}) \, Q(Y_{1:t-1}, y_t)\Big]$$

Pre-training the generator with maximum likelihood first is essential; without it the
rewards are uninformative. Results on synthetic data (an oracle LSTM), Chinese poems, Obama
speeches and music show lower oracle negative log-likelihood than MLE training.
""",
    ),
    (
        "ngozi-a",
        "conf/icml/OordKK16",
        False,
        r"""PixelRNN models an image as a sequence of pixels and factorises its likelihood
exactly, with no latent variables:

$$p(\mathbf{x}) = \prod_{i=1}^{n^2} p(x_i \mid x_1, \dots, x_{i-1})$$

Each colour channel is in turn conditioned on the previous channels of the same pixel, and
each value is predicted by a **256-way softmax** rather than a continuous density; the
discrete output turns out to be easier to train and can represent multimodal distributions.

Architectures compared:

| Model | Receptive field | Speed |
|---|---|---|
| Row LSTM | triangle above the pixel | fast |
| Diagonal BiLSTM | the whole context | slower |
| PixelCNN | bounded, grows with depth | fastest to train |

Masked convolutions keep the model causal. Residual connections \cite{conf/cvpr/HeZRS16}
allow 12-layer LSTMs. On binarised MNIST, CIFAR-10 and ImageNet $32 \times 32$ the log-likelihoods
were state of the art at publication (3.00 bits/dim on CIFAR-10).
""",
    ),
    (
        "mira",
        "conf/cvpr/RedmonDGF16",
        False,
        r"""YOLO does detection in a single network evaluation. The image is divided into an
$S \times S$ grid ($S = 7$); each cell predicts $B = 2$ boxes with confidences and one set of
$C$ class probabilities, so the output is a tensor of size $S \times S \times (5B + C)$.

Compared with two-stage detectors such as Faster R-CNN \cite{conf/nips/RenHGS15}:

- 45 fps (Fast YOLO: 155 fps), far beyond any other detector at the time;
- fewer background false positives, because the network sees the whole image;
- worse localisation, and small objects in groups are hard since each cell predicts only two
  boxes.

The loss is a sum of squared errors in which box size errors use square roots, so that an
error on a small box counts more than the same error on a large one:

$$\lambda_{coord} \sum_{i=0}^{S^2} \sum_{j=0}^{B} \mathbb{1}_{ij}^{obj}
\left[ (\sqrt{w_i} - \sqrt{\hat{w}_i})^2 + (\sqrt{h_i} - \sqrt{\hat{h}_i})^2 \right]$$
""",
    ),
    (
        "tobias_e",
        "conf/icml/GalG16",
        True,
        r"""Dropout, kept on at test time, is approximate Bayesian inference. Running $T$
stochastic forward passes gives samples from an approximate predictive distribution:

$$\mathbb{E}[y^*] \approx \frac{1}{T} \sum_{t=1}^{T} \hat{y}_t(x^*), \qquad
\operatorname{Var}[y^*] \approx \tau^{-1} I + \frac{1}{T} \sum_{t=1}^{T} \hat{y}_t^\top \hat{y}_t - \mathbb{E}[y^*]^\top \mathbb{E}[y^*]$$

No change to training is needed: a network trained with dropout and weight decay already
minimises the KL divergence to a deep Gaussian process posterior. Uncertainty estimates come
at the cost of $T$ forward passes (the paper uses $T = 10$ to $1000$).
""",
    ),
]

# (summary writer, paper key) -> voters who liked it; every voter gives +1.
VOTES = {
    ("mira", "conf/nips/RenHGS15"): ["tobias_e", "ngozi-a"],
    ("tobias_e", "journals/corr/1611.03530"): ["mira", "ngozi-a"],
    ("ngozi-a", "conf/aaai/YuZWY17"): ["mira"],
    ("tobias_e", "conf/icml/IoffeS15"): ["ngozi-a"],
}
