"""``mx.gluon.data.vision``: vision datasets and transforms."""

from gluax._src.data.vision.datasets import CIFAR10 as CIFAR10
from gluax._src.data.vision.datasets import CIFAR100 as CIFAR100
from gluax._src.data.vision.datasets import MNIST as MNIST
from gluax._src.data.vision.datasets import FashionMNIST as FashionMNIST
from gluax._src.data.vision.datasets import ImageFolderDataset as ImageFolderDataset
from gluax._src.data.vision.datasets import ImageListDataset as ImageListDataset
from gluax._src.data.vision.datasets import ImageRecordDataset as ImageRecordDataset
from gluax.gluon.data.vision import datasets as datasets
from gluax.gluon.data.vision import transforms as transforms
