"""``mx.image``: decode, resize, crop and augment images; ``ImageIter`` and ``ImageDetIter``
(MXNet 1.9.1's ``mxnet.image``, decoding with Pillow and resizing as OpenCV does; see
docs/image.md)."""

from gluax.image import detection as det  # noqa: F401  (MXNet's short name)
from gluax.image import detection as detection
from gluax.image import image as image
from gluax.image.detection import CreateDetAugmenter as CreateDetAugmenter
from gluax.image.detection import CreateMultiRandCropAugmenter as CreateMultiRandCropAugmenter
from gluax.image.detection import DetAugmenter as DetAugmenter
from gluax.image.detection import DetBorrowAug as DetBorrowAug
from gluax.image.detection import DetHorizontalFlipAug as DetHorizontalFlipAug
from gluax.image.detection import DetRandomCropAug as DetRandomCropAug
from gluax.image.detection import DetRandomPadAug as DetRandomPadAug
from gluax.image.detection import DetRandomSelectAug as DetRandomSelectAug
from gluax.image.detection import ImageDetIter as ImageDetIter
from gluax.image.image import Augmenter as Augmenter
from gluax.image.image import BrightnessJitterAug as BrightnessJitterAug
from gluax.image.image import CastAug as CastAug
from gluax.image.image import CenterCropAug as CenterCropAug
from gluax.image.image import ColorJitterAug as ColorJitterAug
from gluax.image.image import ColorNormalizeAug as ColorNormalizeAug
from gluax.image.image import ContrastJitterAug as ContrastJitterAug
from gluax.image.image import CreateAugmenter as CreateAugmenter
from gluax.image.image import ForceResizeAug as ForceResizeAug
from gluax.image.image import HorizontalFlipAug as HorizontalFlipAug
from gluax.image.image import HueJitterAug as HueJitterAug
from gluax.image.image import ImageIter as ImageIter
from gluax.image.image import LightingAug as LightingAug
from gluax.image.image import RandomCropAug as RandomCropAug
from gluax.image.image import RandomGrayAug as RandomGrayAug
from gluax.image.image import RandomOrderAug as RandomOrderAug
from gluax.image.image import RandomSizedCropAug as RandomSizedCropAug
from gluax.image.image import ResizeAug as ResizeAug
from gluax.image.image import SaturationJitterAug as SaturationJitterAug
from gluax.image.image import SequentialAug as SequentialAug
from gluax.image.image import center_crop as center_crop
from gluax.image.image import color_normalize as color_normalize
from gluax.image.image import copyMakeBorder as copyMakeBorder
from gluax.image.image import fixed_crop as fixed_crop
from gluax.image.image import imdecode as imdecode
from gluax.image.image import imread as imread
from gluax.image.image import imresize as imresize
from gluax.image.image import imrotate as imrotate
from gluax.image.image import random_crop as random_crop
from gluax.image.image import random_rotate as random_rotate
from gluax.image.image import random_size_crop as random_size_crop
from gluax.image.image import resize_short as resize_short
from gluax.image.image import scale_down as scale_down
