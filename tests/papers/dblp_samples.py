"""Real entries as dblp and arXiv export them, shared by the import and export tests."""

VASWANI_NIPS = r"""@inproceedings{DBLP:conf/nips/VaswaniSPUJGKP17,
  author       = {Ashish Vaswani and
                  Noam Shazeer and
                  Niki Parmar and
                  Jakob Uszkoreit and
                  Llion Jones and
                  Aidan N. Gomez and
                  Lukasz Kaiser and
                  Illia Polosukhin},
  title        = {Attention is All you Need},
  booktitle    = {Advances in Neural Information Processing Systems 30: Annual Conference
                  on Neural Information Processing Systems 2017, December 4-9, 2017,
                  Long Beach, CA, {USA}},
  pages        = {5998--6008},
  year         = {2017},
  url          = {https://proceedings.neurips.cc/paper/2017/hash/3f5ee243547dee91fbd053c1c4a845aa-Abstract.html},
  timestamp    = {Thu, 21 Jan 2021 15:15:21 +0100},
  biburl       = {https://dblp.org/rec/conf/nips/VaswaniSPUJGKP17.bib},
  bibsource    = {dblp computer science bibliography, https://dblp.org}
}
"""

VASWANI_CORR = r"""@article{DBLP:journals/corr/VaswaniSPUJGKP17,
  author       = {Ashish Vaswani and
                  Noam Shazeer and
                  Niki Parmar and
                  Jakob Uszkoreit and
                  Llion Jones and
                  Aidan N. Gomez and
                  Lukasz Kaiser and
                  Illia Polosukhin},
  title        = {Attention Is All You Need},
  journal      = {CoRR},
  volume       = {abs/1706.03762},
  year         = {2017},
  url          = {http://arxiv.org/abs/1706.03762},
  eprinttype    = {arXiv},
  eprint       = {1706.03762},
  timestamp    = {Sat, 23 Jan 2021 01:20:40 +0100},
  biburl       = {https://dblp.org/rec/journals/corr/VaswaniSPUJGKP17.bib},
  bibsource    = {dblp computer science bibliography, https://dblp.org}
}
"""

SCHMIDHUBER = r"""@article{DBLP:journals/nn/Schmidhuber15,
  author       = {J{\"{u}}rgen Schmidhuber},
  title        = {Deep learning in neural networks: An overview},
  journal      = {Neural Networks},
  volume       = {61},
  pages        = {85--117},
  year         = {2015},
  url          = {https://doi.org/10.1016/j.neunet.2014.09.003},
  doi          = {10.1016/J.NEUNET.2014.09.003},
  biburl       = {https://dblp.org/rec/journals/nn/Schmidhuber15.bib},
  bibsource    = {dblp computer science bibliography, https://dblp.org}
}
"""

ZHANG_ICLR = r"""@inproceedings{DBLP:conf/iclr/ZhangBHRV17,
  author       = {Chiyuan Zhang and
                  Samy Bengio and
                  Moritz Hardt and
                  Benjamin Recht and
                  Oriol Vinyals},
  title        = {Understanding deep learning requires rethinking generalization},
  booktitle    = {5th International Conference on Learning Representations, {ICLR} 2017,
                  Toulon, France, April 24-26, 2017, Conference Track Proceedings},
  publisher    = {OpenReview.net},
  year         = {2017},
  url          = {https://openreview.net/forum?id=Sy8gdB9xx},
}
"""

SCHOLKOPF_WITH_STRING = r"""@string{jmlr = {Journal of Machine Learning Research}}
@article{DBLP:journals/jmlr/MuandetFSS17,
  author       = {Krikamol Muandet and Kenji Fukumizu and Bharath K. Sriperumbudur and
                  Bernhard Sch{\"{o}}lkopf},
  title        = {Kernel Mean Embedding of Distributions: {A} Review and Beyond},
  journal      = jmlr,
  year         = {2017},
  doi          = {10.1561/2200000060},
}
"""

ARXIV_RECORD = {
    "id": "1611.03530",
    "submitter": "Chiyuan Zhang",
    "authors": "Chiyuan Zhang, Samy Bengio, Moritz Hardt, Benjamin Recht, Oriol Vinyals",
    "title": "Understanding deep learning requires rethinking generalization",
    "comments": "Published in ICLR 2017",
    "journal-ref": None,
    "doi": None,
    "categories": "cs.LG",
    "abstract": "  Despite their massive size, successful deep artificial neural networks\ncan "
    "exhibit a remarkably small difference between training and test performance.\n",
    "versions": [
        {"version": "v1", "created": "Thu, 10 Nov 2016 22:02:36 GMT"},
        {"version": "v2", "created": "Sun, 26 Feb 2017 22:33:29 GMT"},
    ],
    "update_date": "2017-02-28",
    "authors_parsed": [
        ["Zhang", "Chiyuan", ""],
        ["Bengio", "Samy", ""],
        ["Hardt", "Moritz", ""],
        ["Recht", "Benjamin", ""],
        ["Vinyals", "Oriol", ""],
    ],
}

ARXIV_OLD_STYLE_RECORD = {
    "id": "hep-th/9901001",
    "authors": "J. Bal\\'azs and G. M\\\"uller",
    "title": 'An old-style  identifier\n  with {\\"u}mlauts',
    "categories": "hep-th math-ph math.MP",
    "abstract": "Short.",
    "versions": [{"version": "v1", "created": "Fri, 1 Jan 1999 10:00:00 GMT"}],
    "authors_parsed": [["Bal\\'azs", "J.", ""], ['M\\"uller', "G.", ""]],
}
