"""Plausible Chinese place and person names for the demo data."""

from __future__ import annotations

import numpy as np

_PLACE = (
    "幸福 和平 友谊 建设 解放 新华 民主 胜利 光明 东风 红旗 长江 汉水 黄鹤 紫阳 首义 积玉 中南 珞珈 南湖 白沙 "
    "杨园 水塔 花楼 民意 前进 满春 汉兴 唐家 常青 北湖 万松 新村 团结 复兴 振兴 东湖 西湖 青山 翠园 锦绣 "
    "桂花 荷花 梅园 兰亭 竹林 松柏 清泉 明珠 龙泉 凤凰 金桥 银河 星光 朝阳 晨光 晓月 丰收 育才 文昌 书院 "
    "学府 大成 启明 太平 安居 康乐 永安 长乐 仁和 义门 礼泉 信义 德胜 福寿 鸿运 瑞祥 嘉禾 丰泽 汇通 广场 "
    "江滩 沙湖 月湖 琴台 鹦鹉 晴川 古楼 城南 城北 东门 西关 南站 北苑 中山 人民 工农 铁路 车站 码头 新港"
).split()
_COMPOUND_SUFFIX = "小区 花园 家园 苑 公寓 新村 名城 嘉园 雅居 华府 城 宿舍".split()
_VILLAGE_SUFFIX = "村 湾村 坝村 沟村 院村".split()
_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万覃武钱戴严莫孔向汤"
)
_GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建平刚桂兰玲红梅霞斌波辉鹏宇浩凯晨欣怡佳琳雪婷倩文博思源子涵雨萱志国建军海燕春花秋菊晓东小龙德明永红"
)
_COMPANY_PREFIX = (
    "鑫源 恒泰 金地 万科 保利 中建 碧桂 绿城 长城 楚天 荆楚 江城 汉江 鸿福 永盛 安捷 锦程 华远 东方 天诚".split()
)
_WORK_UNITS = (
    "区委组织部 区发改局 区教育局 区卫健局 区民政局 区财政局 区人社局 区住建局 区城管局 区市场监管局 区税务局 "
    "区人民医院 区实验小学 区第一中学 国网供电公司 自来水公司 燃气公司 区农商银行 区公安分局 区司法局"
).split()


class NameMaker:
    """Draw names without repeating within one maker."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make) -> str:
        for _ in range(50):
            name = make()
            if name not in self.used:
                self.used.add(name)
                return name
        name = make() + str(len(self.used))
        self.used.add(name)
        return name

    def _place(self) -> str:
        return str(self.rng.choice(_PLACE))

    def street(self, kind: str) -> str:
        return self._unique(lambda: self._place() + ("街道" if kind == "street" else "镇"))

    def community(self, kind: str) -> str:
        if kind == "village":
            return self._unique(lambda: self._place()[0] + self._place()[1] + str(self.rng.choice(_VILLAGE_SUFFIX)))
        return self._unique(lambda: self._place() + str(self.rng.choice(["社区", "社区", "路社区", "里社区"])))

    def compound(self) -> str:
        return self._unique(lambda: self._place() + str(self.rng.choice(_COMPOUND_SUFFIX)))

    def company(self) -> str:
        return self._unique(lambda: str(self.rng.choice(_COMPANY_PREFIX)) + self._place() + "物业服务有限公司")

    def partner(self) -> str:
        return self._unique(lambda: str(self.rng.choice(_WORK_UNITS)) + "党支部")


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` person names (repeats allowed, as in life)."""
    surname = rng.choice(_SURNAMES, n)
    g1 = rng.choice(_GIVEN, n)
    g2 = rng.choice(_GIVEN, n)
    two = rng.random(n) < 0.7
    return np.where(two, np.char.add(np.char.add(surname, g1), g2), np.char.add(surname, g1))


def work_units(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(_WORK_UNITS, n)
