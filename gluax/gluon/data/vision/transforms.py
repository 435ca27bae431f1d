"""``mx.gluon.data.vision.transforms``."""

from gluax._src.data.vision.transforms import Cast as Cast
from gluax._src.data.vision.transforms import CenterCrop as CenterCrop
from gluax._src.data.vision.transforms import Compose as Compose
from gluax._src.data.vision.transforms import CropResize as CropResize
from gluax._src.data.vision.transforms import HybridCompose as HybridCompose
from gluax._src.data.vision.transforms import Normalize as Normalize
from gluax._src.data.vision.transforms import RandomApply as RandomApply
from gluax._src.data.vision.transforms import RandomBrightness as RandomBrightness
from gluax._src.data.vision.transforms import RandomColorJitter as RandomColorJitter
from gluax._src.data.vision.transforms import RandomContrast as RandomContrast
from gluax._src.data.vision.transforms import RandomFlipLeftRight as RandomFlipLeftRight
from gluax._src.data.vision.transforms import RandomFlipTopBottom as RandomFlipTopBottom
from gluax._src.data.vision.transforms import RandomHue as RandomHue
from gluax._src.data.vision.transforms import RandomLighting as RandomLighting
from gluax._src.data.vision.transforms import RandomResizedCrop as RandomResizedCrop
from gluax._src.data.vision.transforms import RandomRotation as RandomRotation
from gluax._src.data.vision.transforms import RandomSaturation as RandomSaturation
from gluax._src.data.vision.transforms import Resize as Resize
from gluax._src.data.vision.transforms import Rotate as Rotate
from gluax._src.data.vision.transforms import ToTensor as ToTensor
